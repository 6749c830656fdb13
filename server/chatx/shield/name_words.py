"""The words that tell a person's name from the words around it, in the languages we read.

Each set holds folded words (lower case, no accents, see `names.fold`), as they are matched.
"""

from __future__ import annotations

from chatx.shield.names import fold


def _folded(*words: str) -> frozenset[str]:
    return frozenset(fold(word) for word in words)


# fmt: off
HONORIFICS = _folded(
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "sir", "dame", "lord", "lady",
    "herr", "frau", "hr", "fr", "m", "mme", "mlle", "monsieur", "madame", "sr", "sra", "srta",
    "don", "dona", "doña", "senor", "señor", "senora", "señora", "sig", "sigra", "signor",
    "signora", "dott", "dottssa", "ing", "avv", "dhr", "mevr", "mw", "pan", "pani", "uncle",
    "aunt", "auntie", "cousin", "grandma", "grandpa", "coach", "officer", "judge",
)
GREETINGS = _folded(
    "hi", "hey", "hello", "dear", "thanks", "thank", "thx", "ty", "bye", "cheers", "morning",
    "evening", "night", "welcome", "congrats", "congratulations", "sorry", "yo", "hiya",
    "hallo", "servus", "moin", "liebe", "lieber", "danke", "salut", "bonjour", "bonsoir",
    "merci", "cher", "chère", "hola", "gracias", "querida", "querido", "ciao", "buongiorno",
    "grazie", "caro", "cara", "hoi", "dag", "beste", "bedankt", "cześć", "olá", "obrigado",
    "obrigada", "hej", "tak", "ahoj", "děkuji", "goedemorgen", "goedemiddag", "goedenavond",
    "buenos", "buenas", "días", "dias", "tardes", "guten", "tag", "morgen", "bom", "dia",
)
SIGN_OFFS = _folded(
    "cheers", "thanks", "best", "regards", "br", "kind", "warm", "sincerely", "love", "xoxo",
    "yours", "greetings", "gruss", "gruß", "grüße", "grusse", "lg", "vg", "mfg", "bisous",
    "cordialement", "amicalement", "saludos", "abrazos", "un", "saluti", "cordiali", "groeten",
    "pozdrawiam", "pozdrav", "obrigado", "abraço", "hälsningar", "hilsen", "mvh", "s", "pozdravy",
)
# Words after which a lower-case chat word is a person: "ask pamela", "with klaus".
PERSON_VERBS = _folded(
    "ask", "asked", "tell", "told", "call", "called", "ping", "pinged", "text", "texted",
    "message", "email", "emailed", "cc", "dm", "meet", "met", "see", "saw", "thank", "invite",
    "invited", "remind", "with", "from", "and", "or", "to", "for", "by", "sister", "brother",
    "wife", "husband", "son", "daughter", "mum", "mom", "dad", "friend", "boss", "colleague",
    "fragen", "frag", "mit", "und", "von", "für", "demande", "avec", "et", "pour", "de",
    "pregunta", "con", "y", "para", "chiedi", "e", "per", "vraag", "en", "voor", "tegen",
    "zeg", "dis", "à", "a", "al", "dile", "dí", "di", "dica", "sag", "sage",
)
# Verbs whose object, capitalised and otherwise unknown, is a person: "met Djevad Šušulić".
OBJECT_VERBS = _folded(
    "ask", "asked", "tell", "told", "call", "called", "ping", "pinged", "text", "texted",
    "email", "emailed", "cc", "dm", "met", "meet", "invite", "invited", "remind", "thank",
    "married", "dating", "frag", "fragen", "demande", "pregunta", "chiedi", "vraag",
)
# Capitalised words that are never a person by themselves: weekdays, months, pronouns, ...
NEVER = _folded(
    "i", "im", "ive", "ill", "id", "ok", "okay", "yes", "no", "lol", "omg", "btw", "fyi", "asap",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january",
    "february", "march", "april", "june", "july", "august", "september", "october",
    "november", "december", "montag", "dienstag", "mittwoch", "donnerstag", "freitag",
    "samstag", "sonntag", "januar", "februar", "märz", "juni", "juli", "oktober", "dezember",
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche", "lunes", "martes",
    "jueves", "viernes", "sabado", "domingo", "enero", "febrero", "marzo", "abril", "mayo",
    "junio", "julio", "agosto", "lunedi", "martedi", "venerdi", "sabato", "domenica", "maart",
    "mei", "god", "jesus", "christmas", "easter", "team", "all", "everyone", "guys", "folks",
    "street", "road", "avenue", "str", "straße", "strasse", "rue", "via", "calle", "the",
)
# English articles: a capitalised run after "the" (or after "a"/"an" and an adjective) names
# a thing or a company ("the Keller, Berry and Richardson booking"), not a person.
DETERMINERS = _folded("the", "a", "an")
# Legal forms: the capitalised words before them name a company, not a person.
LEGAL_FORMS = _folded(
    "ltd", "limited", "plc", "inc", "llc", "llp", "corp", "co", "gmbh", "ag", "kg", "ohg", "ug",
    "se", "sa", "sas", "sarl", "sàrl", "spa", "srl", "snc", "sl", "slu", "bv", "nv", "vof",
    "aps", "ab", "as", "asa", "oy", "oyj", "lda", "sp", "group", "gruppe", "groupe", "grupo",
    "gruppo", "holding", "partners", "associates", "söhne", "fils", "hermanos", "figli", "zoo",
    "kgaa", "gbr", "ev", "mbh", "sc", "scs", "scp", "sprl", "cv", "ltda", "pty", "pte",
)
PARTICLES = _folded(
    "van", "von", "der", "den", "de", "del", "della", "di", "da", "du", "la", "le", "dos", "das",
    "bin", "al", "el", "ter", "zu", "y",
)
# fmt: on
