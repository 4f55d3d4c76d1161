"""Rebuild fixtures/demo_places.json: the demo places, written for this project.

Every place, name, address, phone number and e-mail address here is invented: phone
numbers are in ARCEP's range reserved for fiction, addresses use example.org. Positions
are a small fixed offset from the commune's centre, read from the database, so run
this with the territories and their centres loaded:

    python manage.py shell --no-imports < scripts/build_demo_fixture.py \
        > fixtures/demo_places.json
"""

import datetime as dt
import hashlib
import json
import re
import sys
import unicodedata

from places.models import Territory

HOURS = {
    "epn": "Mo-Fr 09:00-12:00,14:00-17:30; PH off",
    "epn-sat": "Tu-Sa 10:00-12:30,13:30-18:00; PH off",
    "mairie": "Mo-Fr 08:30-12:00,13:30-17:00; Sa 09:00-12:00; PH off",
    "media": "Tu,Th,Fr 13:00-18:30; We,Sa 10:00-18:00; PH off",
    "fablab": "We 14:00-19:00; Th 18:00-22:00; Sa 10:00-18:00; PH off",
    "cowork": "Mo-Fr 08:00-20:00; PH off",
    "badge": "24/7",
    "night": "Tu-Th 10:00-19:00; Fr,Sa 10:00-01:00; PH off",
    "half": "Mo,Tu,Th,Fr 09:00-12:00,13:30-17:00; We 09:00-12:00; PH off",
    "summer": "Mo-Fr 10:00-18:00; Aug off; PH off",
    "morning": "Mo-Sa 08:30-12:30; PH off",
}

SERVICES = {
    "dem": "Aide aux démarches administratives",
    "quo": "Maîtrise des outils numériques du quotidien",
    "emp": "Insertion professionnelle via le numérique",
    "sec": "Utilisation sécurisée du numérique",
    "par": "Parentalité et éducation avec le numérique",
    "loi": "Loisirs et créations numériques",
    "mon": "Compréhension du monde numérique",
    "acc": "Accès internet et matériel informatique",
    "sol": "Acquisition de matériel informatique à prix solidaire",
}
EQUIPMENT = {
    "wifi": "wifi",
    "pc": "ordinateurs",
    "print": "imprimante-scanner",
    "3d": "imprimante-3d",
    "laser": "decoupe-laser",
    "cnc": "fraiseuse-cnc",
    "vinyl": "decoupe-vinyle",
    "elec": "electronique",
    "desk": "postes-coworking",
    "room": "salle-reunion",
    "visio": "visioconference",
    "tab": "tablettes",
    "loan": "pret-materiel",
}
KIND_DEFAULTS = {
    "epn": {
        "types": ["EPN"],
        "fees": ["Gratuit"],
        "access": ["Se présenter", "Téléphoner"],
        "support": ["Accompagnement individuel", "Dans un atelier collectif"],
    },
    "coworking": {
        "types": ["TIERS_LIEUX"],
        "fees": ["Payant"],
        "access": ["Contacter par mail", "Prendre un RDV en ligne"],
        "support": ["En autonomie"],
    },
    "fablab": {
        "types": ["FABLAB"],
        "fees": ["Gratuit sous condition"],
        "access": ["Se présenter"],
        "support": ["En autonomie", "Dans un atelier collectif"],
    },
    "tiers-lieu": {
        "types": ["TIERS_LIEUX", "ASSO"],
        "fees": ["Gratuit", "Payant"],
        "access": ["Se présenter", "Contacter par mail"],
        "support": ["Dans un atelier collectif", "Accompagnement individuel"],
    },
}

DESCRIPTIONS = {
    "epn": (
        "L’équipe vous accueille au {address}, à {town}. Venez avec vos identifiants "
        "et vos papiers si vous avez une démarche à faire : vous repartirez en sachant "
        "la refaire seul.\n\nLes ateliers collectifs (smartphone, messagerie, "
        "sécurité) sont annoncés à l’accueil ; ils sont gratuits et ouverts à tous."
    ),
    "coworking": (
        "Au {address}, à {town} : des postes de travail au calme, une bonne "
        "connexion, du café et une communauté de voisins de bureau.\n\nVisite "
        "possible sur demande par courriel ; la première journée est offerte."
    ),
    "fablab": (
        "L’atelier est au {address}, à {town}. Les permanences ouvertes permettent de "
        "découvrir les machines avec un membre ; l’usage en autonomie demande une "
        "courte formation.\n\nApportez votre projet, vos fichiers ou simplement "
        "votre curiosité."
    ),
    "tiers-lieu": (
        "Un lieu partagé au {address}, à {town}, où se croisent habitants, "
        "associations et travailleurs. Le programme des ateliers change chaque mois."
        "\n\nOn peut y passer prendre un café sans rien demander."
    ),
}

# name, kinds, INSEE code, postal code, address, hours, services, equipment, summary, extras
PLACES = [
    # Bretagne
    (
        "Espace numérique du Colombier",
        "epn",
        "35238",
        "35000",
        "12 rue de la Poterie",
        "epn",
        "dem quo sec acc",
        "wifi pc print",
        "Des conseillers vous aident pour vos démarches en ligne, votre messagerie et votre smartphone, sans rendez-vous le matin.",
        {"programmes": ["Conseillers numériques", "Aidants Connect"]},
    ),
    (
        "La Fabrique des Lices",
        "fablab",
        "35238",
        "35000",
        "4 place des Lices",
        "fablab",
        "loi mon",
        "3d laser vinyl elec wifi",
        "Un atelier partagé pour réparer, prototyper et apprendre : imprimantes 3D, découpe laser et électronique.",
        {},
    ),
    (
        "Le Hangar à idées",
        "coworking tiers-lieu",
        "35238",
        "35200",
        "27 boulevard Oscar Leroux",
        "cowork",
        "emp acc",
        "desk room visio wifi print",
        "Coworking associatif du sud de Rennes : bureaux à la journée, salle de réunion et cafés-numériques le jeudi.",
        {},
    ),
    (
        "Cyber-base de Bellevue",
        "epn",
        "29019",
        "29200",
        "3 rue de Quimper",
        "epn-sat",
        "dem quo par acc",
        "wifi pc print tab",
        "Accès libre aux ordinateurs, ateliers débutants et aide aux démarches pour les habitants de Bellevue.",
        {"publics": ["Seniors", "Familles et/ou enfants"]},
    ),
    (
        "Ty Labo Brest",
        "fablab",
        "29019",
        "29200",
        "15 rue de Siam",
        "fablab",
        "loi mon emp",
        "3d laser cnc elec",
        "Le fablab du centre-ville : permanences ouvertes, formations aux machines et projets collectifs.",
        {"labels": ["Fabriques de Territoire"]},
    ),
    (
        "Médiathèque du Port",
        "epn",
        "56121",
        "56100",
        "8 quai des Indes",
        "media",
        "quo loi acc",
        "wifi pc print tab",
        "Postes en accès libre, ateliers tablettes et initiation au numérique pour tous les âges.",
        {"types": ["BIB"], "programmes": ["Conseillers numériques"]},
    ),
    (
        "La Coopérative du Légué",
        "tiers-lieu",
        "22278",
        "22000",
        "21 rue du Légué",
        "night",
        "quo loi mon sol",
        "wifi pc 3d room",
        "Tiers-lieu sur le port : café, ateliers de réparation, ordinateurs reconditionnés à prix solidaire.",
        {"programmes": ["Emmaüs Connect"]},
    ),
    (
        "Point numérique de la Découverte",
        "epn",
        "35288",
        "35400",
        "2 rue de la Découverte",
        "half",
        "dem quo sec",
        "wifi pc print",
        "Aide aux démarches administratives en ligne, sur place ou par téléphone, avec une conseillère numérique.",
        {"access": ["Téléphoner", "Prendre un RDV en ligne"]},
    ),
    # Île-de-France
    (
        "Espace numérique Oberkampf",
        "epn",
        "75111",
        "75011",
        "41 rue Oberkampf",
        "epn",
        "dem quo emp sec",
        "wifi pc print",
        "Aide aux démarches, recherche d’emploi et ateliers sécurité en ligne, au cœur du 11e.",
        {"programmes": ["Conseillers numériques", "France Services"]},
    ),
    (
        "Atelier Voltaire",
        "fablab",
        "75111",
        "75011",
        "96 boulevard Voltaire",
        "fablab",
        "loi mon",
        "3d laser elec vinyl",
        "Fablab associatif : venez fabriquer, réparer et apprendre avec les membres le jeudi soir.",
        {},
    ),
    (
        "La Goutte Numérique",
        "epn tiers-lieu",
        "75118",
        "75018",
        "9 rue Polonceau",
        "epn-sat",
        "dem quo par acc sol",
        "wifi pc print loan",
        "Ordinateurs en libre accès, cours de français et numérique, prêt de matériel pour les familles.",
        {
            "special": ["Langues étrangères (autres)", "Illettrisme"],
            "publics": ["Familles et/ou enfants"],
        },
    ),
    (
        "Coworking des Pyrénées",
        "coworking",
        "75120",
        "75020",
        "148 rue des Pyrénées",
        "cowork",
        "emp",
        "desk room visio wifi print",
        "Bureaux partagés et salle de réunion à la journée, au mois, ou à prix réduit pour les demandeurs d’emploi.",
        {"fees": ["Payant", "Gratuit sous condition"]},
    ),
    (
        "Maison du numérique de la Plaine",
        "epn",
        "93066",
        "93200",
        "5 avenue du Stade",
        "mairie",
        "dem quo emp sec par",
        "wifi pc print tab",
        "Démarches CAF, impôts, santé et emploi : accompagnement individuel sur rendez-vous ou sans.",
        {
            "programmes": ["Point d’accès numérique CAF", "Aidants Connect"],
            "labels": ["Formé à « Mon Espace Santé »"],
        },
    ),
    (
        "Fabrique Sud Créteil",
        "fablab tiers-lieu",
        "94028",
        "94000",
        "30 rue du Général Leclerc",
        "fablab",
        "loi mon emp",
        "3d laser cnc elec room",
        "Un tiers-lieu de fabrication au pied des tours : ateliers jeunes, réparation, prototypage.",
        {"publics": ["Jeunes"]},
    ),
    (
        "Espace public numérique des Flanades",
        "epn",
        "95585",
        "95200",
        "1 place de Navarre",
        "half",
        "dem quo sec acc",
        "wifi pc print",
        "Accès libre et accompagnement aux démarches en ligne, en français, arabe et turc.",
        {"special": ["Langues étrangères (autres)"]},
    ),
    # Auvergne-Rhône-Alpes
    (
        "Espace numérique Part-Dieu",
        "epn",
        "69383",
        "69003",
        "60 rue de la Villette",
        "epn",
        "dem quo sec",
        "wifi pc print",
        "Aide aux démarches en ligne et ateliers smartphone, à deux pas de la gare.",
        {"labels": ["Mes Papiers (Métropole de Lyon)"]},
    ),
    (
        "Le Labo de Gerland",
        "fablab",
        "69387",
        "69007",
        "12 rue Jaboulay",
        "fablab",
        "loi mon",
        "3d laser cnc elec vinyl",
        "Fablab de quartier : machines, électronique et textile, avec des bénévoles pour vous guider.",
        {},
    ),
    (
        "La Cordée des Canuts",
        "coworking",
        "69383",
        "69003",
        "18 cours Gambetta",
        "badge",
        "emp",
        "desk room visio wifi",
        "Coworking ouvert jour et nuit avec badge, pour indépendants et télétravailleurs.",
        {"access": ["Contacter par mail"]},
    ),
    (
        "Cyber-espace Tarentaize",
        "epn",
        "42218",
        "42000",
        "7 rue de la Ville",
        "epn-sat",
        "dem quo par acc",
        "wifi pc print tab",
        "Postes en libre accès et aide aux démarches pour les habitants de Tarentaize-Beaubrun.",
        {"programmes": ["Conseillers numériques"]},
    ),
    (
        "Manufacture numérique Saint-Étienne",
        "tiers-lieu fablab",
        "42218",
        "42000",
        "3 rue Javelin Pagnon",
        "night",
        "loi mon emp",
        "3d laser cnc elec desk room",
        "Tiers-lieu dans une ancienne usine : fablab, coworking, soirées découverte.",
        {"labels": ["Fabriques de Territoire"]},
    ),
    (
        "Espace numérique Villeneuve",
        "epn",
        "38185",
        "38100",
        "10 galerie de l’Arlequin",
        "half",
        "dem quo sec par",
        "wifi pc print",
        "Accompagnement individuel et ateliers collectifs : démarches, e-mail, sécurité, parentalité.",
        {"publics": ["Familles et/ou enfants", "Femmes"]},
    ),
    (
        "Cowork des Volcans",
        "coworking tiers-lieu",
        "63113",
        "63000",
        "22 rue Fontgiève",
        "cowork",
        "emp acc",
        "desk room visio wifi print",
        "Espace de travail partagé et café associatif, permanences emploi le mardi.",
        {},
    ),
    (
        "Point numérique de Bourg",
        "epn",
        "01053",
        "01000",
        "4 avenue Alsace-Lorraine",
        "mairie",
        "dem quo sec",
        "wifi pc print",
        "Aide aux démarches administratives en ligne avec un conseiller France Services.",
        {"programmes": ["France Services"]},
    ),
    (
        "Espace numérique des Éclaireurs",
        "epn",
        "38185",
        "38000",
        "2 place Saint-Bruno",
        "morning",
        "quo sec mon",
        "wifi pc tab",
        "Initiation au numérique pour les seniors : tablette, visio avec les proches, arnaques en ligne.",
        {"publics": ["Seniors"], "labels": ["Les Éclaireurs du numérique (Drôme)"]},
    ),
    # Provence-Alpes-Côte d'Azur
    (
        "Espace numérique de la Valentine",
        "epn",
        "13211",
        "13011",
        "25 route de la Sablière",
        "epn",
        "dem quo emp",
        "wifi pc print",
        "Démarches en ligne, CV et candidatures : un conseiller numérique vous reçoit sans rendez-vous.",
        {"programmes": ["Conseillers numériques"]},
    ),
    (
        "Le Grand Atelier du Panier",
        "fablab tiers-lieu",
        "13201",
        "13001",
        "11 rue du Panier",
        "fablab",
        "loi mon par",
        "3d laser elec vinyl",
        "Atelier partagé et ateliers parents-enfants autour de la fabrication numérique.",
        {"labels": ["SUD LABS (PACA)"]},
    ),
    (
        "Cyber-base Nice Ouest",
        "epn",
        "06088",
        "06200",
        "40 boulevard de la Madeleine",
        "epn-sat",
        "dem quo acc sec",
        "wifi pc print tab",
        "Postes en libre accès, impression, aide aux démarches et ateliers sécurité numérique.",
        {},
    ),
    (
        "Les Remparts Coworking",
        "coworking",
        "84007",
        "84000",
        "6 rue des Teinturiers",
        "summer",
        "emp",
        "desk room wifi print",
        "Coworking intra-muros, fermé en août ; tarif réduit pour les créateurs d’entreprise.",
        {"fees": ["Payant"]},
    ),
    (
        "Maison numérique du Mourillon",
        "epn",
        "83137",
        "83000",
        "19 rue Lamalgue",
        "half",
        "dem quo sec par",
        "wifi pc print",
        "Aide aux démarches en ligne et ateliers pour les parents : écrans, réseaux sociaux, ENT.",
        {},
    ),
    # Occitanie
    (
        "Espace numérique des Minimes",
        "epn",
        "31555",
        "31200",
        "14 avenue des Minimes",
        "epn",
        "dem quo emp sec",
        "wifi pc print",
        "Accompagnement aux démarches en ligne et à la recherche d’emploi, ateliers tous niveaux.",
        {"programmes": ["Conseillers numériques", "Aidants Connect"]},
    ),
    (
        "Artilect du Canal",
        "fablab",
        "31555",
        "31000",
        "10 rue Tripière",
        "fablab",
        "loi mon emp",
        "3d laser cnc elec",
        "Fablab historique toulousain : adhésion, formations machines et projets open source.",
        {"fees": ["Payant"]},
    ),
    (
        "La Halle aux Communs",
        "tiers-lieu coworking",
        "34172",
        "34000",
        "5 rue de l’Aiguillerie",
        "night",
        "emp loi acc",
        "desk room visio wifi 3d",
        "Tiers-lieu coopératif : coworking, ateliers, répair café et soirées jeux.",
        {},
    ),
    (
        "Point numérique de Pamiers",
        "epn",
        "09225",
        "09100",
        "1 place de la République",
        "mairie",
        "dem quo sec",
        "wifi pc print",
        "Aide aux démarches en ligne pour tout le bassin appaméen, avec ou sans rendez-vous.",
        {"programmes": ["France Services"]},
    ),
    # Hauts-de-France
    (
        "Espace numérique de Wazemmes",
        "epn",
        "59350",
        "59000",
        "36 rue des Sarrazins",
        "epn-sat",
        "dem quo emp par",
        "wifi pc print tab",
        "Accès libre, démarches, emploi et ateliers parents au cœur de Wazemmes.",
        {"programmes": ["Promeneurs du net"]},
    ),
    (
        "Le Bazar Numérique",
        "tiers-lieu",
        "59350",
        "59800",
        "13 rue de Gand",
        "night",
        "loi mon sol",
        "wifi pc 3d loan",
        "Ordinateurs reconditionnés à petit prix, ateliers de réparation et café associatif.",
        {"fees": ["Gratuit", "Payant"]},
    ),
    (
        "Cyber-base d’Arras",
        "epn",
        "62041",
        "62000",
        "8 rue Gambetta",
        "half",
        "dem quo sec",
        "wifi pc print",
        "Aide aux démarches et ateliers d’initiation, en groupe ou individuellement.",
        {},
    ),
    (
        "Fablab de la Citadelle",
        "fablab",
        "80021",
        "80000",
        "2 rue des Français Libres",
        "fablab",
        "loi mon",
        "3d laser cnc vinyl",
        "Atelier de fabrication numérique ouvert aux particuliers, écoles et entreprises.",
        {},
    ),
    # Nouvelle-Aquitaine
    (
        "Espace numérique Saint-Michel",
        "epn",
        "33063",
        "33800",
        "21 rue Camille Sauvageau",
        "epn",
        "dem quo sec acc",
        "wifi pc print",
        "Aide aux démarches en ligne et accès libre aux ordinateurs, près de la basilique.",
        {"programmes": ["Conseillers numériques"]},
    ),
    (
        "Darwin Numérique",
        "tiers-lieu coworking",
        "33063",
        "33100",
        "87 quai des Queyries",
        "cowork",
        "emp loi",
        "desk room visio wifi",
        "Coworking et ateliers numériques sur la rive droite, dans un ancien site militaire.",
        {},
    ),
    (
        "Atelier de l’Image",
        "fablab",
        "16015",
        "16000",
        "4 rue de Bordeaux",
        "fablab",
        "loi mon",
        "3d laser elec",
        "Fablab tourné vers la bande dessinée et l’image : découpe, impression, électronique.",
        {},
    ),
    (
        "Point numérique des Coutures",
        "epn",
        "87085",
        "87000",
        "16 rue des Coutures",
        "morning",
        "dem quo",
        "wifi pc",
        "Aide aux démarches en ligne le matin, accès libre aux ordinateurs.",
        {},
    ),
    # Grand Est
    (
        "Espace numérique de Neudorf",
        "epn",
        "67482",
        "67100",
        "2 place du Marché",
        "epn",
        "dem quo sec par",
        "wifi pc print",
        "Démarches, ateliers smartphone et numérique en famille, en français et en allemand.",
        {"special": ["Langues étrangères (autres)"]},
    ),
    (
        "Shadok des Deux Rives",
        "tiers-lieu fablab",
        "67482",
        "67000",
        "25 presqu’île André Malraux",
        "night",
        "loi mon emp",
        "3d laser elec room",
        "Fabrique du numérique : expositions, ateliers, fablab et résidences.",
        {},
    ),
    (
        "TCRM Coworking",
        "coworking",
        "57463",
        "57000",
        "9 rue Dembour",
        "cowork",
        "emp",
        "desk room visio wifi print",
        "Bureaux partagés dans une ancienne centrale, salles de réunion à réserver en ligne.",
        {},
    ),
    # Normandie
    (
        "Espace numérique Saint-Sever",
        "epn",
        "76540",
        "76100",
        "10 rue Saint-Julien",
        "epn-sat",
        "dem quo sec acc",
        "wifi pc print tab",
        "Postes en libre accès et aide aux démarches rive gauche.",
        {"labels": ["Collectif ressources et acteurs réemploi (Normandie)"]},
    ),
    (
        "Le Dôme Atelier",
        "fablab tiers-lieu",
        "14118",
        "14000",
        "3 esplanade Stéphane Hessel",
        "fablab",
        "loi mon emp",
        "3d laser cnc elec room",
        "Living lab et fablab : ateliers, prototypage et projets de recherche participative.",
        {},
    ),
    # Pays de la Loire, Centre, Bourgogne-Franche-Comté
    (
        "Espace numérique de Bellevue Nantes",
        "epn",
        "44109",
        "44100",
        "5 place Mendès-France",
        "epn",
        "dem quo emp sec",
        "wifi pc print",
        "Un accueil pour toutes les démarches en ligne, l’emploi et la sécurité numérique.",
        {"programmes": ["Conseillers numériques"]},
    ),
    (
        "Plateforme C",
        "fablab",
        "44109",
        "44200",
        "16 rue Alain Barbe Torte",
        "fablab",
        "loi mon",
        "3d laser cnc elec vinyl",
        "Fablab de l’île de Nantes : ateliers, formations machines, projets collectifs.",
        {},
    ),
    (
        "Cowork de la Doutre",
        "coworking",
        "49007",
        "49100",
        "31 rue Beaurepaire",
        "cowork",
        "emp",
        "desk room wifi print",
        "Petit coworking de quartier, ambiance calme, postes fixes ou nomades.",
        {},
    ),
    (
        "Point numérique de la Roche",
        "epn",
        "85191",
        "85000",
        "12 place Napoléon",
        "mairie",
        "dem quo sec",
        "wifi pc print",
        "Démarches administratives en ligne avec un agent France Services.",
        {"programmes": ["France Services"]},
    ),
    (
        "Espace numérique des Fontaines",
        "epn",
        "37261",
        "37200",
        "9 rue Saint-Exupéry",
        "half",
        "dem quo par",
        "wifi pc print",
        "Ateliers et accompagnement individuel pour les habitants des Fontaines.",
        {},
    ),
    (
        "Labo d’Orléans",
        "fablab tiers-lieu",
        "45234",
        "45000",
        "108 rue de Bourgogne",
        "fablab",
        "loi mon",
        "3d laser elec",
        "Tiers-lieu de fabrication et ateliers découverte pour les jeunes le mercredi.",
        {"publics": ["Jeunes"]},
    ),
    (
        "Espace numérique des Grésilles",
        "epn",
        "21231",
        "21000",
        "2 rue Émile Zola",
        "epn",
        "dem quo sec",
        "wifi pc print",
        "Accompagnement aux démarches en ligne et initiation, au cœur des Grésilles.",
        {"labels": ["Arnia/MedNum BFC (Bourgogne-Franche-Comté)"]},
    ),
    (
        "Cowork Battant",
        "coworking",
        "25056",
        "25000",
        "14 rue Battant",
        "cowork",
        "emp",
        "desk wifi print",
        "Coworking de la Boucle, tarifs à la demi-journée.",
        {},
    ),
    # Corse
    (
        "Espace numérique d’Ajaccio",
        "epn",
        "2A004",
        "20000",
        "3 cours Napoléon",
        "morning",
        "dem quo acc",
        "wifi pc print",
        "Aide aux démarches en ligne et ordinateurs en accès libre le matin.",
        {},
    ),
    (
        "Fablab di Bastia",
        "fablab",
        "2B033",
        "20200",
        "5 boulevard Paoli",
        "fablab",
        "loi mon",
        "3d laser elec",
        "Fablab associatif : ateliers le samedi, projets scolaires la semaine.",
        {},
    ),
    # Outre-mer
    (
        "Espace numérique du Chaudron",
        "epn",
        "97411",
        "97490",
        "18 rue du Chaudron",
        "epn",
        "dem quo emp sec",
        "wifi pc print",
        "Démarches en ligne, emploi et sécurité numérique, en français et en créole.",
        {"programmes": ["Conseillers numériques"]},
    ),
    (
        "Kaz Lab",
        "fablab tiers-lieu",
        "97416",
        "97410",
        "7 rue des Bons Enfants",
        "fablab",
        "loi mon emp",
        "3d laser elec",
        "Tiers-lieu de fabrication du Sud : ateliers jeunes, réparation, prototypage.",
        {"publics": ["Jeunes"]},
    ),
    (
        "Cyber-case de Pointe-à-Pitre",
        "epn",
        "97120",
        "97110",
        "12 rue Frébault",
        "half",
        "dem quo acc",
        "wifi pc print",
        "Accès internet et aide aux démarches pour les habitants du centre-ville.",
        {},
    ),
    (
        "Coworking du Malecon",
        "coworking tiers-lieu",
        "97209",
        "97200",
        "4 boulevard Alfassa",
        "cowork",
        "emp acc",
        "desk room visio wifi",
        "Espace de travail partagé face à la baie, connexion fibre, salle de visio.",
        {},
    ),
    # Not published: a draft and a closed place, to show that they stay off the public site.
    (
        "Futur espace numérique de Brest Nord",
        "epn",
        "29019",
        "29200",
        "1 rue de Kerourien",
        "epn",
        "dem quo",
        "wifi pc",
        "Ouverture prévue au printemps.",
        {"status": "draft"},
    ),
    (
        "Ancien cyber-café des Halles",
        "epn",
        "75111",
        "75011",
        "2 rue de la Roquette",
        "epn",
        "acc",
        "wifi pc",
        "Ce lieu a fermé ses portes.",
        {"status": "closed"},
    ),
    (
        "Tiers-lieu en préparation à Lille",
        "tiers-lieu",
        "59350",
        "59000",
        "1 rue Nationale",
        "night",
        "loi",
        "wifi",
        "Projet en cours.",
        {"status": "draft"},
    ),
]


def slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def term_code(value: str) -> str:
    return slug(value)[:80]


def main() -> None:
    communes = {
        t.code: t
        for t in Territory.objects.filter(
            level__in=["commune", "arrondissement"], code__in={p[2] for p in PLACES}
        )
    }
    objects = []
    for n, (
        name,
        kinds,
        insee,
        cp,
        address,
        hours,
        services,
        equipment,
        summary,
        extra,
    ) in enumerate(PLACES):
        commune = communes[insee]
        kinds = kinds.split()
        defaults = KIND_DEFAULTS[kinds[0]]
        digest = hashlib.sha256(name.encode()).digest()
        # Up to ±0.012° from the commune centre (about a kilometre), fixed per name.
        lon = commune.centre.x + (digest[0] - 128) / 128 * 0.012
        lat = commune.centre.y + (digest[1] - 128) / 128 * 0.008
        place_slug = slug(f"{name} {commune.name}")[:100]
        host = slug(name)[:40]
        objects.append(
            {
                "model": "places.place",
                "fields": {
                    "name": name,
                    "slug": place_slug,
                    "status": extra.get("status", "published"),
                    "source": "demo",
                    "source_id": f"demo-{n + 1:03d}",
                    "kinds": [[k] for k in kinds],
                    "structure_types": [
                        ["structure_type", t.lower()]
                        for t in extra.get("types", defaults["types"])
                    ],
                    "summary": summary,
                    "description": DESCRIPTIONS[kinds[0]].format(
                        address=address, town=commune.name
                    ),
                    "services": [
                        ["service", term_code(SERVICES[s])] for s in services.split()
                    ],
                    "publics": [
                        ["public", term_code(p)] for p in extra.get("publics", [])
                    ],
                    "special_support": [
                        ["special_support", term_code(p)]
                        for p in extra.get("special", [])
                    ],
                    "fees": [
                        ["fee", term_code(f)]
                        for f in extra.get("fees", defaults["fees"])
                    ],
                    "access_modes": [
                        ["access_mode", term_code(a)]
                        for a in extra.get("access", defaults["access"])
                    ],
                    "support_modes": [
                        ["support_mode", term_code(s)] for s in defaults["support"]
                    ],
                    "programmes": [
                        ["programme", term_code(p.replace("’", "'"))]
                        for p in extra.get("programmes", [])
                    ],
                    "labels": [
                        ["label", term_code(lb)] for lb in extra.get("labels", [])
                    ],
                    "equipment": [
                        ["equipment", EQUIPMENT[e]] for e in equipment.split()
                    ],
                    "address": address,
                    "postal_code": cp,
                    "commune": [
                        "arrondissement"
                        if commune.level == "arrondissement"
                        else "commune",
                        insee,
                    ],
                    "location": f"SRID=4326;POINT ({lon:.6f} {lat:.6f})",
                    "opening_hours": HOURS[hours],
                    "phone": f"+33199{n:06d}"[:12],
                    "emails": [f"contact@{host}.example.org"],
                    "websites": [f"https://{host}.example.org/"],
                    "booking_url": f"https://{host}.example.org/rendez-vous"
                    if "Prendre un RDV en ligne"
                    in extra.get("access", defaults["access"])
                    else "",
                    "data_updated_on": (
                        dt.date(2026, 10, 1) + dt.timedelta(days=n % 50)
                    ).isoformat(),
                },
            }
        )
    json.dump(objects, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


main()
