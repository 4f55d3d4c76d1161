"""Django's Redis cache backend, with its clients kept.

Django's RedisCacheClient builds a new `redis.Redis` object for every cache call; its
constructor fills a table of ~170 response callbacks, which cost as much as the round
trip to Redis itself (0.4 ms per call here). A client is thread-safe and only wraps
the connection pool, so one per server is kept and reused.
"""

from django.core.cache.backends import redis


class ReusedClients(redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(index)
            client = self._clients[index] = self._client(connection_pool=pool)
        return client


class RedisCache(redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClients
