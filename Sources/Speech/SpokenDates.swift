import Engine
import RoutineModel

/// Weekday names, dates and times as they are spoken in the announcement voice's language, for the
/// `{weekday}` `{date}` `{time}` placeholders.
///
/// Plain tables, no Foundation or ICU (the daemon does not load ICU). The phrases are written for
/// espeak-ng to read aloud, not for display:
///
/// - 24-hour times are `HH:MM` in every language (espeak-ng reads the digits well in all of them);
///   12-hour times are the hour 1–12, `:MM`, and the language's word for the part of the day
///   (`7:05 AM`, `7:05 abends`, `7:05 du soir`, `7:05 de la tarde`).
/// - Dates use each language's usual order and the form of the month a date takes (Polish, Czech and
///   Russian genitive, Finnish partitive). Where espeak-ng turns a written ordinal into a spoken one
///   the phrase uses it: French `1er`, Italian and Portuguese `1º`, Swedish `24:e`, and the day's dot in
///   German, Danish, Norwegian. espeak-ng reads `24.` as an ordinal only when the next word starts
///   with a small letter, so the German date writes the month in small letters (`24. november 2026`,
///   spoken "vierundzwanzigste November"); with a capital it says "vierundzwanzig", then pauses.
/// - Unknown languages fall back to English.
///
/// The engine's `DateSpeaker`: the daemon hands one to the engine, which knows no language tables.
public struct SpokenDates: DateSpeaker {
    public init() {}

    public func time(_ local: LocalDateTime, clock: ClockStyle, voice: String) -> String {
        Self.time(local, clock: clock, language: Self.language(ofVoice: voice))
    }

    public func date(_ local: LocalDateTime, voice: String) -> String {
        Self.date(local, language: Self.language(ofVoice: voice))
    }

    public func weekday(_ day: Weekday, voice: String) -> String {
        Self.weekday(day, language: Self.language(ofVoice: voice))
    }

    /// A language with its own table; taken from the voice name by `language(ofVoice:)`.
    enum Language: String, Sendable, CaseIterable {
        case en, de, fr, es, it, nl, pt, sv, da, nb, fi, pl, cs, ru
    }

    /// The language of an espeak-ng voice name: the last path component (`gmw/en-US` → `en-US`),
    /// lower-cased, up to the first `-`, `+` or `_` (`en-us`, `de+f3`, `pt_BR` → `en`, `de`, `pt`).
    /// An `ENGINE:` prefix is skipped. `no` is Norwegian Bokmål (`nb`); anything without a table is English.
    static func language(ofVoice voice: String) -> Language {
        var name = Substring(voice)
        // `piper:de_DE-thorsten-medium`: the engine's voice name.
        if let colon = name.firstIndex(of: ":") { name = name[name.index(after: colon)...] }
        if let slash = name.lastIndex(of: "/") { name = name[name.index(after: slash)...] }
        let code = name.prefix { $0 != "-" && $0 != "+" && $0 != "_" }.lowercased()
        if code == "no" { return .nb }
        return Language(rawValue: code) ?? .en
    }

    /// `07:05` (24h, every language), or the 12-hour time with the part of the day: `7:05 AM`,
    /// `7:05 morgens`, `7:05 du matin` (French noon and midnight are `midi`, `minuit 5`).
    static func time(_ local: LocalDateTime, clock: ClockStyle, language: Language) -> String {
        let hour = max(0, min(23, local.hour))
        let minute = max(0, min(59, local.minute))
        let mm = minute < 10 ? "0\(minute)" : "\(minute)"
        switch clock {
        case .h24:
            return "\(hour < 10 ? "0" : "")\(hour):\(mm)"
        case .h12:
            if language == .fr && (hour == 0 || hour == 12) {
                let name = hour == 0 ? "minuit" : "midi"
                return minute == 0 ? name : "\(name) \(minute)"
            }
            let hour12 = hour % 12 == 0 ? 12 : hour % 12
            return "\(hour12):\(mm) \(table(language).dayPeriod(hour))"
        }
    }

    /// The date as the language says it: `November 24, 2026`, `24. november 2026`, `1er mars 2026`,
    /// `24 de noviembre de 2026`.
    static func date(_ local: LocalDateTime, language: Language) -> String {
        let t = table(language)
        let month = t.months[max(0, min(11, local.month - 1))]
        let day = local.day
        let year = local.year
        switch language {
        case .en: return "\(month) \(day), \(year)"
        case .de: return "\(day). \(month.lowercased()) \(year)"
        case .fr: return "\(day == 1 ? "1er" : "\(day)") \(month) \(year)"
        case .es: return "\(day) de \(month) de \(year)"
        case .it: return "\(day == 1 ? "1º" : "\(day)") \(month) \(year)"
        case .nl, .pl: return "\(day) \(month) \(year)"
        case .pt: return "\(day == 1 ? "1º" : "\(day)") de \(month) de \(year)"
        case .sv:
            let suffix = (day % 10 == 1 || day % 10 == 2) && day % 100 != 11 && day % 100 != 12 ? "a" : "e"
            return "\(day):\(suffix) \(month) \(year)"
        case .da, .nb, .fi, .cs: return "\(day). \(month) \(year)"
        case .ru: return "\(day) \(month) \(year) года"
        }
    }

    /// The weekday's name: `Tuesday`, `Dienstag`, `mardi`.
    static func weekday(_ day: Weekday, language: Language) -> String {
        table(language).weekdays[day.rawValue]
    }

    /// One language's words.
    struct Table: Sendable {
        /// Sunday first, as `Weekday.rawValue`.
        var weekdays: [String]
        /// January first, in the form a date uses.
        var months: [String]
        /// Parts of the day for 12-hour times: (first hour, words), by first hour from 0.
        var dayPeriods: [(from: Int, words: String)]

        func dayPeriod(_ hour: Int) -> String {
            dayPeriods.last { $0.from <= hour }?.words ?? ""
        }
    }

    static func table(_ language: Language) -> Table {
        switch language {
        case .en: return en
        case .de: return de
        case .fr: return fr
        case .es: return es
        case .it: return it
        case .nl: return nl
        case .pt: return pt
        case .sv: return sv
        case .da: return da
        case .nb: return nb
        case .fi: return fi
        case .pl: return pl
        case .cs: return cs
        case .ru: return ru
        }
    }

    static let en = Table(
        weekdays: ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"],
        months: [
            "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
            "November", "December",
        ],
        dayPeriods: [(0, "AM"), (12, "PM")])

    static let de = Table(
        weekdays: ["Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"],
        months: [
            "Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
            "November", "Dezember",
        ],
        dayPeriods: [
            (0, "nachts"), (5, "morgens"), (10, "vormittags"), (12, "mittags"), (13, "nachmittags"), (18, "abends"),
        ])

    static let fr = Table(
        weekdays: ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
        months: [
            "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
            "novembre", "décembre",
        ],
        dayPeriods: [(0, "du matin"), (12, "de l'après-midi"), (18, "du soir")])

    static let es = Table(
        weekdays: ["domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"],
        months: [
            "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
            "noviembre", "diciembre",
        ],
        dayPeriods: [
            (0, "de la madrugada"), (6, "de la mañana"), (12, "del mediodía"), (13, "de la tarde"), (20, "de la noche"),
        ])

    static let it = Table(
        weekdays: ["domenica", "lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato"],
        months: [
            "gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre",
            "novembre", "dicembre",
        ],
        dayPeriods: [(0, "di notte"), (6, "di mattina"), (12, "di pomeriggio"), (18, "di sera")])

    static let nl = Table(
        weekdays: ["zondag", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag"],
        months: [
            "januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
            "november", "december",
        ],
        dayPeriods: [(0, "'s nachts"), (6, "'s ochtends"), (12, "'s middags"), (18, "'s avonds")])

    static let pt = Table(
        weekdays: ["domingo", "segunda-feira", "terça-feira", "quarta-feira", "quinta-feira", "sexta-feira", "sábado"],
        months: [
            "janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro", "outubro",
            "novembro", "dezembro",
        ],
        dayPeriods: [(0, "da madrugada"), (6, "da manhã"), (12, "da tarde"), (19, "da noite")])

    static let sv = Table(
        weekdays: ["söndag", "måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag"],
        months: [
            "januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
            "november", "december",
        ],
        dayPeriods: [
            (0, "på natten"), (5, "på morgonen"), (10, "på förmiddagen"), (12, "på eftermiddagen"), (18, "på kvällen"),
        ])

    static let da = Table(
        weekdays: ["søndag", "mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag"],
        months: [
            "januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober",
            "november", "december",
        ],
        dayPeriods: [
            (0, "om natten"), (5, "om morgenen"), (10, "om formiddagen"), (12, "om eftermiddagen"), (18, "om aftenen"),
        ])

    static let nb = Table(
        weekdays: ["søndag", "mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag"],
        months: [
            "januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober",
            "november", "desember",
        ],
        dayPeriods: [
            (0, "om natten"), (6, "om morgenen"), (10, "om formiddagen"), (12, "om ettermiddagen"), (18, "om kvelden"),
        ])

    /// Months in the partitive, as a date says them (`24. marraskuuta 2026`).
    static let fi = Table(
        weekdays: ["sunnuntai", "maanantai", "tiistai", "keskiviikko", "torstai", "perjantai", "lauantai"],
        months: [
            "tammikuuta", "helmikuuta", "maaliskuuta", "huhtikuuta", "toukokuuta", "kesäkuuta", "heinäkuuta",
            "elokuuta", "syyskuuta", "lokakuuta", "marraskuuta", "joulukuuta",
        ],
        dayPeriods: [
            (0, "yöllä"), (5, "aamulla"), (10, "aamupäivällä"), (12, "iltapäivällä"), (18, "illalla"), (23, "yöllä"),
        ])

    /// Months in the genitive (`24 listopada 2026`).
    static let pl = Table(
        weekdays: ["niedziela", "poniedziałek", "wtorek", "środa", "czwartek", "piątek", "sobota"],
        months: [
            "stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia", "września",
            "października", "listopada", "grudnia",
        ],
        dayPeriods: [
            (0, "w nocy"), (6, "rano"), (10, "przed południem"), (12, "po południu"), (18, "wieczorem"), (21, "w nocy"),
        ])

    /// Months in the genitive (`24. listopadu 2026`).
    static let cs = Table(
        weekdays: ["neděle", "pondělí", "úterý", "středa", "čtvrtek", "pátek", "sobota"],
        months: [
            "ledna", "února", "března", "dubna", "května", "června", "července", "srpna", "září", "října",
            "listopadu", "prosince",
        ],
        dayPeriods: [(0, "v noci"), (4, "ráno"), (9, "dopoledne"), (12, "odpoledne"), (18, "večer"), (22, "v noci")])

    /// Months in the genitive (`24 ноября 2026 года`).
    static let ru = Table(
        weekdays: ["воскресенье", "понедельник", "вторник", "среда", "четверг", "пятница", "суббота"],
        months: [
            "января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября",
            "ноября", "декабря",
        ],
        dayPeriods: [(0, "ночи"), (4, "утра"), (12, "дня"), (18, "вечера")])
}
