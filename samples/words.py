"""Vocabularies and boilerplate for the sample corpus (`samples/`).

English is built from words by part of speech so that sentences vary (perplexity and near-dedup stages need
variety) yet read as English to a language identifier. French, German and Spanish use whole phrases that
already agree in gender and number, which is enough to be identified as those languages. Boilerplate texts
(licenses, Gutenberg headers) keep the recognisable titles and key sentences that filters look for.
"""

def _words(text: str) -> list[str]:
    return text.split()


EN_NOUNS = _words("""
    ability access account action activity address advantage advice age agency agreement amount analysis
    animal answer approach area argument army article artist attention audience author authority balance
    bank base basis behaviour benefit bird board body book border branch bridge budget building business
    camera campaign capital career case category centre century chance change chapter character child choice
    church city claim class climate coast collection college colony committee community company competition
    computer concept condition conference connection context contract control council country county course
    court creature crisis culture customer damage data daughter debate decade decision definition degree
    department design detail development device difference direction director discovery discussion disease
    district doctor document dream economy edition editor education effect effort election element energy
    engine environment equipment event evidence example exchange experience expert factor factory failure
    family farmer feature festival field figure film finding fire flight floor force forest form foundation
    framework freedom friend function future game garden generation goal government group growth guide habit
    harbour history holiday hospital house idea image impact income industry influence information island
    issue journey judge kingdom knowledge lake land language law leader lesson letter level library light
    line list machine manager market material meaning measure meeting member memory message method minister
    mission model moment month mountain movement museum music nation nature network newspaper night novel
    object office opinion option order organisation owner painting paper parent park part partner party
    passage patient pattern period person picture piece place plan planet plant player poem policy population
    position power practice president pressure price problem process product professor programme project
    property proposal quality question railway range rate reader reason record region relationship report
    research resource response result review river road role room route rule school science scientist season
    sector series service settlement share ship side signal situation skill society soldier solution song
    source space speaker species speech stage standard station statement story strategy street strength
    structure student study style subject success summer supply surface system table teacher team technique
    technology temple territory test theory thing tool tower town tradition training treaty tree trial trip
    unit university valley value village visitor voice war water wave way weather week window winter woman
    word worker world writer year
""")

# Irregular plurals; the rest follow the spelling rules in `plural`.
EN_PLURALS = {"child": "children", "woman": "women", "person": "people", "analysis": "analyses",
              "crisis": "crises", "species": "species", "series": "series", "knowledge": "knowledge",
              "information": "information", "equipment": "equipment", "evidence": "evidence",
              "advice": "advice", "freedom": "freedom", "weather": "weather", "data": "data",
              "basis": "bases", "matrix": "matrices",
              "wildlife": "wildlife", "nutrition": "nutrition", "inflation": "inflation"}

# base:past for irregular verbs; a bare base is a regular verb.
EN_VERBS = _words("""
    accept achieve acquire add address adopt affect allow analyse announce apply approve arrange assess
    attract avoid bear:bore become:became begin:began bring:brought build:built buy:bought carry change
    choose:chose claim collect combine complete consider construct contain continue control:controlled create deliver
    describe design destroy develop discover discuss divide draw:drew drive:drove earn encourage establish
    examine expand explain explore express extend face feature find:found follow form gain gather give:gave
    guide handle help hold:held identify illustrate improve include increase influence introduce investigate
    join keep:kept lead:led leave:left lose:lost maintain make:made manage mark measure meet:met move notice
    observe obtain offer open organise own pass perform place plan:planned play prefer:preferred prepare present
    preserve
    produce promote protect provide publish raise reach receive record reduce reflect reform reject release
    remove replace report represent require restore reveal review run:ran save see:saw seek:sought sell:sold
    send:sent serve share show shape sign solve spend:spent split:split study suggest supply support survive
    take:took teach:taught test throw:threw track train transform treat understand:understood use value
    visit watch welcome win:won write:wrote
""")

EN_ADJECTIVES = _words("""
    able academic active actual additional ancient annual anonymous anxious apparent appropriate available
    average aware basic beautiful big bitter brief bright broad busy careful central certain cheap chemical
    civil classic clean clear close cold colonial common complex constant correct creative critical cultural
    current dark deep detailed different difficult digital direct distant domestic dramatic early eastern
    easy economic effective efficient electric entire environmental equal essential exact excellent existing
    expensive external extra familiar famous federal final financial fine firm foreign formal former free
    fresh friendly full general gentle global golden good grand great green happy hard healthy heavy
    historic holy huge human ideal important independent individual industrial informal initial interesting
    internal international joint large late legal likely limited little local long loud low main major
    massive medical mental military minor mobile modern moral narrow national natural necessary negative
    new nice noble normal northern obvious official old open ordinary original other particular patient
    perfect personal physical plain pleasant political poor popular positive possible powerful practical
    present previous primary private professional proper public quick quiet rapid rare raw real recent
    regional regular relevant remote rich rough royal rural sacred safe scientific secret senior serious
    severe sharp short significant silent similar simple single slow small smooth social soft solid
    southern special specific stable standard strange strict strong successful sudden sufficient suitable
    technical temporary thick thin tiny total traditional typical unique unusual urban useful usual various
    vast visible vital warm weak wealthy western whole wide wild wooden young
""")

EN_ADVERBS = _words("""
    actually almost already also always carefully certainly clearly closely completely constantly directly
    easily especially eventually finally frequently fully generally gradually greatly largely later mainly
    mostly naturally nearly never normally now often only originally particularly perhaps possibly quickly
    rapidly rarely really recently regularly seldom simply slowly sometimes soon still suddenly therefore
    usually widely
""")

EN_PREPOSITIONS = _words("across after against along among around before behind beneath beside between beyond "
                         "during for from in inside near through throughout toward under with within without")
EN_CONJUNCTIONS = ["and", "but", "while", "because", "although", "since", "so", "whereas"]
EN_OPENERS = ["However,", "In addition,", "As a result,", "For example,", "In practice,", "At the same time,",
              "In the end,", "Meanwhile,", "On the other hand,", "For this reason,", "Today,", "Historically,",
              "In many cases,", "Nevertheless,", "Above all,", "According to most accounts,"]
EN_NAMES = _words("Adams Baker Carter Davies Evans Fischer Garcia Hughes Ito Jensen Kowalski Lopez Martin "
                  "Novak Olsen Patel Quinn Rossi Sato Turner Uddin Vogel Walker Young Zhang")
EN_FIRST_NAMES = _words("Alice Ben Clara David Emma Frank Grace Henry Iris James Kate Leo Maria Noah Olivia "
                        "Paul Rosa Sam Tara Victor")

# Topic words are drawn often within one document, so each document has its own flavour.
TOPICS = {
    "history": _words("empire dynasty castle battle treaty monarch revolution archive chronicle colony "
                      "invasion siege ruler monument manuscript"),
    "science": _words("experiment molecule cell particle hypothesis laboratory sample protein telescope "
                      "orbit gene measurement theory galaxy reaction"),
    "cooking": _words("recipe oven flour butter sauce dough spice kitchen onion garlic dish soup bread "
                      "pastry vegetable"),
    "travel": _words("hotel beach passport island museum harbour airport itinerary mountain village ferry "
                     "guidebook coastline trail market"),
    "sport": _words("match season league coach stadium tournament goal referee championship athlete "
                    "victory striker medal fan club"),
    "technology": _words("software server database network algorithm browser processor interface "
                         "application platform sensor battery protocol cloud developer"),
    "music": _words("album concert guitar orchestra melody rhythm singer composer festival piano "
                    "recording band chorus symphony studio"),
    "health": _words("patient clinic therapy vaccine symptom nutrition diet exercise hospital nurse "
                     "treatment infection medicine sleep muscle"),
    "economy": _words("inflation market investor bank currency trade tax budget loan export revenue "
                      "wage interest profit consumer"),
    "nature": _words("forest river wetland species habitat bird meadow glacier soil insect drought "
                     "rainfall valley wildlife coral"),
    "education": _words("school teacher classroom curriculum student lecture exam university degree "
                        "textbook library scholarship pupil campus tutor"),
    "mathematics": _words("theorem proof equation matrix function variable integral vector lemma "
                          "graph probability estimate bound operator space"),
}

# Whole phrases per language: subjects (singular, plural), verbs (3rd person singular, plural), objects,
# complements and openers. Openers in German invert subject and verb (handled by the generator).
FOREIGN = {
    "fr": {
        "subjects": ["le gouvernement", "la ville", "le directeur", "la commission", "notre équipe",
                     "le musée", "la région", "le professeur", "la société", "le conseil municipal",
                     "cette étude", "le ministère", "la population locale", "chaque école", "le marché"],
        "subjects_pl": ["les habitants", "les chercheurs", "les élèves", "les entreprises", "les visiteurs",
                        "les agriculteurs", "plusieurs experts", "les familles", "les autorités"],
        "verbs": [("présente", "présentent"), ("développe", "développent"), ("prépare", "préparent"),
                  ("soutient", "soutiennent"), ("découvre", "découvrent"), ("propose", "proposent"),
                  ("organise", "organisent"), ("réalise", "réalisent"), ("améliore", "améliorent"),
                  ("étudie", "étudient"), ("accueille", "accueillent"), ("finance", "financent"),
                  ("construit", "construisent"), ("défend", "défendent"), ("annonce", "annoncent")],
        "objects": ["un nouveau projet", "la situation économique", "les résultats de l'enquête",
                    "une exposition remarquable", "le patrimoine historique", "des solutions durables",
                    "la qualité de l'eau", "un programme de formation", "les transports publics",
                    "une fête traditionnelle", "des logements sociaux", "la réforme des retraites",
                    "le développement du quartier", "une méthode très efficace", "les produits régionaux"],
        "complements": ["depuis plusieurs années", "dans toute la région", "pour les jeunes familles",
                        "avec beaucoup de succès", "au centre de la ville", "malgré les difficultés",
                        "grâce à une aide publique", "au cours de l'été", "avant la fin de l'année",
                        "selon un rapport récent", "à la demande des habitants",
                        "en collaboration avec l'université"],
        "openers": ["Cependant,", "En outre,", "Selon les experts,", "Par ailleurs,", "Aujourd'hui,",
                    "Depuis le début,", "En effet,", "De plus,"],
        "nav": ["Accueil", "Actualités", "À propos", "Contact", "Mentions légales"],
        "boiler": ["Abonnez-vous à notre lettre d'information", "Tous droits réservés.",
                   "Ce site utilise des cookies pour améliorer votre expérience."],
    },
    "de": {
        "subjects": ["Die Stadt", "Der Verein", "Die Regierung", "Das Museum", "Die Firma", "Der Bürgermeister",
                     "Die Schule", "Das Institut", "Die Gemeinde", "Unser Team", "Die Universität",
                     "Der Bauer", "Die Kommission", "Jedes Kind", "Der Verlag"],
        "subjects_pl": ["Die Bewohner", "Die Forscher", "Viele Schüler", "Die Unternehmen", "Die Besucher",
                        "Einige Experten", "Die Familien", "Die Behörden", "Die Mitglieder"],
        "verbs": [("plant", "planen"), ("entwickelt", "entwickeln"), ("unterstützt", "unterstützen"),
                  ("fördert", "fördern"), ("zeigt", "zeigen"), ("baut", "bauen"), ("untersucht", "untersuchen"),
                  ("verbessert", "verbessern"), ("organisiert", "organisieren"), ("präsentiert", "präsentieren"),
                  ("finanziert", "finanzieren"), ("eröffnet", "eröffnen"), ("schützt", "schützen"),
                  ("verändert", "verändern"), ("bietet", "bieten")],
        "objects": ["ein neues Projekt", "die wirtschaftliche Lage", "eine große Ausstellung",
                    "das historische Gebäude", "nachhaltige Lösungen", "die Qualität des Wassers",
                    "ein neues Programm für Jugendliche", "den öffentlichen Verkehr", "ein traditionelles Fest",
                    "günstige Wohnungen", "die Ergebnisse der Studie", "eine bessere Ausbildung",
                    "den Wald am Stadtrand", "regionale Produkte", "die digitale Verwaltung"],
        "complements": ["seit mehreren Jahren", "in der ganzen Region", "für junge Familien",
                        "mit großem Erfolg", "im Zentrum der Stadt", "trotz aller Schwierigkeiten",
                        "mit Unterstützung des Landes", "während des Sommers", "bis zum Ende des Jahres",
                        "nach einem aktuellen Bericht", "auf Wunsch der Bürger", "gemeinsam mit der Universität"],
        "openers": ["Außerdem", "Deshalb", "Seit Jahren", "Heute", "Trotzdem", "Im Moment", "Zudem",
                    "Nach Angaben der Experten"],
        "nav": ["Startseite", "Aktuelles", "Über uns", "Kontakt", "Impressum"],
        "boiler": ["Abonnieren Sie unseren Newsletter", "Alle Rechte vorbehalten.",
                   "Diese Website verwendet Cookies, um Ihre Erfahrung zu verbessern."],
    },
    "es": {
        "subjects": ["el gobierno", "la ciudad", "el director", "la comisión", "nuestro equipo", "el museo",
                     "la región", "el profesor", "la empresa", "el ayuntamiento", "este estudio",
                     "el ministerio", "la población local", "cada escuela", "el mercado"],
        "subjects_pl": ["los vecinos", "los investigadores", "los alumnos", "las empresas", "los visitantes",
                        "los agricultores", "varios expertos", "las familias", "las autoridades"],
        "verbs": [("presenta", "presentan"), ("desarrolla", "desarrollan"), ("prepara", "preparan"),
                  ("apoya", "apoyan"), ("descubre", "descubren"), ("propone", "proponen"),
                  ("organiza", "organizan"), ("realiza", "realizan"), ("mejora", "mejoran"),
                  ("estudia", "estudian"), ("recibe", "reciben"), ("financia", "financian"),
                  ("construye", "construyen"), ("defiende", "defienden"), ("anuncia", "anuncian")],
        "objects": ["un nuevo proyecto", "la situación económica", "los resultados de la encuesta",
                    "una exposición extraordinaria", "el patrimonio histórico", "soluciones sostenibles",
                    "la calidad del agua", "un programa de formación", "el transporte público",
                    "una fiesta tradicional", "viviendas asequibles", "la reforma de las pensiones",
                    "el desarrollo del barrio", "un método muy eficaz", "los productos de la región"],
        "complements": ["desde hace varios años", "en toda la región", "para las familias jóvenes",
                        "con mucho éxito", "en el centro de la ciudad", "a pesar de las dificultades",
                        "gracias a una ayuda pública", "durante el verano", "antes del final del año",
                        "según un informe reciente", "a petición de los vecinos", "junto con la universidad"],
        "openers": ["Sin embargo,", "Además,", "Según los expertos,", "Por otra parte,", "Hoy en día,",
                    "Desde el principio,", "En efecto,", "También"],
        "nav": ["Inicio", "Noticias", "Quiénes somos", "Contacto", "Aviso legal"],
        "boiler": ["Suscríbase a nuestro boletín", "Todos los derechos reservados.",
                   "Este sitio web utiliza cookies para mejorar su experiencia."],
    },
}

# Web boilerplate shared by many English pages, so that line-level dedup has something to strip.
WEB_NAV = _words("Home News About Contact Blog Shop Events Archive Login Search Help Careers Sitemap")
WEB_BOILER = ["Subscribe to our newsletter", "Sign up for our weekly newsletter and never miss a story.",
              "This website uses cookies to improve your experience. "
              "By continuing to browse you agree to our use of cookies.",
              "Share this article: Facebook Twitter Email", "Related posts", "Leave a comment",
              "Privacy Policy | Terms of Use | Contact Us", "Follow us on social media",
              "Accept all cookies", "Back to top"]
SPAM_WORDS = _words("cheap best buy online free discount casino loans viagra shoes watches replica download "
                    "crack deal offer bonus")

# Identifier parts for generated code and repository names.
CODE_VERBS = _words("get set load save parse build read write check update create delete find make init "
                    "reset start stop render fetch format merge sort split validate")
CODE_NOUNS = _words("config user item record buffer cache node token request response event handler file "
                    "path value index entry table session queue message result state client")

LICENSES = {
    "MIT": """MIT License

Copyright (c) {year} {owner}

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
""",
    "BSD-3-Clause": """BSD 3-Clause License

Copyright (c) {year}, {owner}
All rights reserved.

Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:

1. Redistributions of source code must retain the above copyright notice, this
   list of conditions and the following disclaimer.

2. Redistributions in binary form must reproduce the above copyright notice,
   this list of conditions and the following disclaimer in the documentation
   and/or other materials provided with the distribution.

3. Neither the name of the copyright holder nor the names of its
   contributors may be used to endorse or promote products derived from
   this software without specific prior written permission.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
""",
    "Apache-2.0": """
                                 Apache License
                           Version 2.0, January 2004
                        http://www.apache.org/licenses/

   TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION

   1. Definitions.

      "License" shall mean the terms and conditions for use, reproduction,
      and distribution as defined by Sections 1 through 9 of this document.

      "Licensor" shall mean the copyright owner or entity authorized by
      the copyright owner that is granting the License.

   2. Grant of Copyright License. Subject to the terms and conditions of
      this License, each Contributor hereby grants to You a perpetual,
      worldwide, non-exclusive, no-charge, royalty-free, irrevocable
      copyright license to reproduce, prepare Derivative Works of,
      publicly display, publicly perform, sublicense, and distribute the
      Work and such Derivative Works in Source or Object form.

   [Sections 3 to 8 abbreviated in this sample.]

   9. Accepting Warranty or Additional Liability. While redistributing
      the Work or Derivative Works thereof, You may choose to offer,
      and charge a fee for, acceptance of support, warranty, indemnity,
      or other liability obligations and/or rights consistent with this
      License.

   END OF TERMS AND CONDITIONS

   Copyright {year} {owner}

   Licensed under the Apache License, Version 2.0 (the "License");
   you may not use this file except in compliance with the License.
   You may obtain a copy of the License at

       http://www.apache.org/licenses/LICENSE-2.0

   Unless required by applicable law or agreed to in writing, software
   distributed under the License is distributed on an "AS IS" BASIS,
   WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
   See the License for the specific language governing permissions and
   limitations under the License.
""",
    "GPL-3.0": """                    GNU GENERAL PUBLIC LICENSE
                       Version 3, 29 June 2007

 Copyright (C) 2007 Free Software Foundation, Inc. <https://fsf.org/>
 Everyone is permitted to copy and distribute verbatim copies
 of this license document, but changing it is not allowed.

                            Preamble

  The GNU General Public License is a free, copyleft license for
software and other kinds of works.

  The licenses for most software and other practical works are designed
to take away your freedom to share and change the works.  By contrast,
the GNU General Public License is intended to guarantee your freedom to
share and change all versions of a program--to make sure it remains free
software for all its users.

  [Terms and conditions abbreviated in this sample.]

                     END OF TERMS AND CONDITIONS

            How to Apply These Terms to Your New Programs

    Copyright (C) {year}  {owner}

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.

    This program is distributed in the hope that it will be useful,
    but WITHOUT ANY WARRANTY; without even the implied warranty of
    MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
    GNU General Public License for more details.
""",
}

# Short per-file headers as they appear at the top of source files.
LICENSE_HEADERS = {
    "MIT": "Copyright (c) {year} {owner}\nSPDX-License-Identifier: MIT",
    "BSD-3-Clause": "Copyright (c) {year}, {owner}. All rights reserved.\n"
                    "Use of this source code is governed by a BSD-style license that can be\n"
                    "found in the LICENSE file.",
    "Apache-2.0": "Copyright {year} {owner}\n\nLicensed under the Apache License, Version 2.0 (the \"License\");\n"
                  "you may not use this file except in compliance with the License.",
    "GPL-3.0": "Copyright (C) {year} {owner}\nThis program is free software: you can redistribute it and/or modify\n"
               "it under the terms of the GNU General Public License as published by\n"
               "the Free Software Foundation, either version 3 of the License, or (at your option) any later version.",
}

GUTENBERG_NEW_HEADER = """The Project Gutenberg eBook of {title}, by {author}

This ebook is for the use of anyone anywhere in the United States and
most other parts of the world at no cost and with almost no restrictions
whatsoever. You may copy it, give it away or re-use it under the terms
of the Project Gutenberg License included with this ebook or online
at www.gutenberg.org. If you are not located in the United States,
you will have to check the laws of the country where you are located
before using this eBook.

Title: {title}

Author: {author}

Release Date: {date} [eBook #{number}]
{edition}
Language: {language}

Character set encoding: UTF-8

Produced by: {producer}

*** START OF THE PROJECT GUTENBERG EBOOK {upper} ***
"""

GUTENBERG_NEW_FOOTER = """
*** END OF THE PROJECT GUTENBERG EBOOK {upper} ***

Updated editions will replace the previous one--the old editions will
be renamed.

Creating the works from print editions not protected by U.S. copyright
law means that no one owns a United States copyright in these works,
so the Foundation (and you!) can copy and distribute it in the United
States without permission and without paying copyright
royalties.

START: FULL LICENSE

THE FULL PROJECT GUTENBERG LICENSE
PLEASE READ THIS BEFORE YOU DISTRIBUTE OR USE THIS WORK

To protect the Project Gutenberg mission of promoting the free
distribution of electronic works, by using or distributing this work
(or any other work associated in any way with the phrase "Project
Gutenberg"), you agree to comply with all the terms of the Full
Project Gutenberg License available with this file or online at
www.gutenberg.org/license.

Section 1. General Terms of Use and Redistributing Project Gutenberg
electronic works

1.A. By reading or using any part of this Project Gutenberg
electronic work, you indicate that you have read, understand, agree to
and accept all the terms of this license and intellectual property
(trademark/copyright) agreement.

[License sections 1.B to 5 abbreviated in this sample.]
"""

GUTENBERG_OLD_HEADER = """The Project Gutenberg EBook of {title}, by {author}

This eBook is for the use of anyone anywhere at no cost and with
almost no restrictions whatsoever.  You may copy it, give it away or
re-use it under the terms of the Project Gutenberg License included
with this eBook or online at www.gutenberg.org


Title: {title}

Author: {author}

Release Date: {date} [EBook #{number}]
{edition}
Language: {language}


*** START OF THIS PROJECT GUTENBERG EBOOK {upper} ***




"""

GUTENBERG_OLD_FOOTER = """



End of the Project Gutenberg EBook of {title}, by {author}

*** END OF THIS PROJECT GUTENBERG EBOOK {upper} ***

***** This file should be named {number}.txt or {number}.zip *****
This and all associated files of various formats will be found in:
        http://www.gutenberg.org/{number}/

Produced by {producer}

Updated editions will replace the previous one--the old editions
will be renamed.

*** START: FULL LICENSE ***

THE FULL PROJECT GUTENBERG LICENSE
PLEASE READ THIS BEFORE YOU DISTRIBUTE OR USE THIS WORK

[License sections abbreviated in this sample.]
"""
