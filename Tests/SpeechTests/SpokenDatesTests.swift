import RoutineModel
import Testing

@testable import Engine
@testable import Speech

@Suite(.timeLimit(.minutes(1))) struct SpokenDatesTests {
    /// Tuesday, November 24, 2026, 07:05.
    let tuesday = LocalDateTime(year: 2026, month: 11, day: 24, hour: 7, minute: 5, second: 0, weekday: .tue)
    /// Sunday, March 1, 2026, 19:30 (the first of the month).
    let sunday = LocalDateTime(year: 2026, month: 3, day: 1, hour: 19, minute: 30, second: 0, weekday: .sun)

    /// "weekday | date | time" for a voice.
    func spoken(_ voice: String, _ local: LocalDateTime, clock: ClockStyle = .h24) -> String {
        let language = SpokenDates.language(ofVoice: voice)
        return [
            SpokenDates.weekday(local.weekday, language: language), SpokenDates.date(local, language: language),
            SpokenDates.time(local, clock: clock, language: language),
        ].joined(separator: " | ")
    }

    @Test func weekdaysDatesAndTimesPerLanguage() {
        let expected: [(voice: String, tuesday: String, sunday: String)] = [
            ("en", "Tuesday | November 24, 2026 | 07:05", "Sunday | March 1, 2026 | 19:30"),
            // espeak-ng reads "24." as an ordinal only before a small letter.
            ("de", "Dienstag | 24. november 2026 | 07:05", "Sonntag | 1. märz 2026 | 19:30"),
            ("fr", "mardi | 24 novembre 2026 | 07:05", "dimanche | 1er mars 2026 | 19:30"),
            ("es", "martes | 24 de noviembre de 2026 | 07:05", "domingo | 1 de marzo de 2026 | 19:30"),
            ("it", "martedì | 24 novembre 2026 | 07:05", "domenica | 1º marzo 2026 | 19:30"),
            ("nl", "dinsdag | 24 november 2026 | 07:05", "zondag | 1 maart 2026 | 19:30"),
            ("pt-br", "terça-feira | 24 de novembro de 2026 | 07:05", "domingo | 1º de março de 2026 | 19:30"),
            ("sv", "tisdag | 24:e november 2026 | 07:05", "söndag | 1:a mars 2026 | 19:30"),
            ("da", "tirsdag | 24. november 2026 | 07:05", "søndag | 1. marts 2026 | 19:30"),
            ("nb", "tirsdag | 24. november 2026 | 07:05", "søndag | 1. mars 2026 | 19:30"),
            ("fi", "tiistai | 24. marraskuuta 2026 | 07:05", "sunnuntai | 1. maaliskuuta 2026 | 19:30"),
            ("pl", "wtorek | 24 listopada 2026 | 07:05", "niedziela | 1 marca 2026 | 19:30"),
            ("cs", "úterý | 24. listopadu 2026 | 07:05", "neděle | 1. března 2026 | 19:30"),
            ("ru", "вторник | 24 ноября 2026 года | 07:05", "воскресенье | 1 марта 2026 года | 19:30"),
        ]
        for row in expected {
            #expect(spoken(row.voice, tuesday) == row.tuesday)
            #expect(spoken(row.voice, sunday) == row.sunday)
        }
        #expect(
            Set(expected.map { SpokenDates.language(ofVoice: $0.voice) }) == Set(SpokenDates.Language.allCases))
    }

    @Test func everyTableIsComplete() {
        for language in SpokenDates.Language.allCases {
            let table = SpokenDates.table(language)
            #expect(table.weekdays.count == 7 && table.months.count == 12)
            #expect(table.dayPeriods.first?.from == 0)
            #expect(zip(table.dayPeriods, table.dayPeriods.dropFirst()).allSatisfy { $0.from < $1.from })
        }
    }

    @Test func swedishOrdinalSuffixes() {
        let dates = [1, 2, 3, 11, 12, 21, 22, 23, 31].map { n in
            var local = tuesday
            local.day = n
            return SpokenDates.date(local, language: .sv)
        }
        let expected = ["1:a", "2:a", "3:e", "11:e", "12:e", "21:a", "22:a", "23:e", "31:a"]
        #expect(dates == expected.map { "\($0) november 2026" })
    }

    @Test func twelveHourClock() {
        func times(_ voice: String) -> [String] {
            [0, 7, 11, 12, 13, 19].map { hour in
                var local = tuesday
                local.hour = hour
                return SpokenDates.time(
                    local, clock: .h12, language: SpokenDates.language(ofVoice: voice))
            }
        }
        #expect(times("en-us") == ["12:05 AM", "7:05 AM", "11:05 AM", "12:05 PM", "1:05 PM", "7:05 PM"])
        #expect(
            times("de") == [
                "12:05 nachts", "7:05 morgens", "11:05 vormittags", "12:05 mittags", "1:05 nachmittags",
                "7:05 abends",
            ])
        #expect(
            times("fr") == [
                "minuit 5", "7:05 du matin", "11:05 du matin", "midi 5", "1:05 de l'après-midi", "7:05 du soir",
            ])
        #expect(
            times("es") == [
                "12:05 de la madrugada", "7:05 de la mañana", "11:05 de la mañana", "12:05 del mediodía",
                "1:05 de la tarde", "7:05 de la tarde",
            ])
        var noon = tuesday
        noon.hour = 12
        noon.minute = 0
        #expect(SpokenDates.time(noon, clock: .h12, language: .fr) == "midi")
        #expect(SpokenDates.time(noon, clock: .h24, language: .fr) == "12:00")
        #expect(SpokenDates.time(noon, clock: .h12, language: .en) == "12:00 PM")
    }

    @Test func languageOfVoiceName() {
        let cases: [(String, SpokenDates.Language)] = [
            ("en", .en), ("en-us", .en), ("en-gb-scotland", .en), ("de+f3", .de), ("pt-br", .pt), ("pt_BR", .pt),
            ("no", .nb), ("nb", .nb), ("FR-be", .fr), ("gmw/en-US", .en), ("roa/it", .it), ("xx-unknown", .en),
            ("", .en),
        ]
        for (voice, language) in cases {
            #expect(SpokenDates.language(ofVoice: voice) == language)
        }
    }

    @Test func templatesSpeakTheVoicesLanguage() {
        var renderer = TemplateRenderer(
            local: tuesday, clock: .h24, routine: "wake", headphoneMode: false, eventData: [:], dates: SpokenDates(),
            voice: "de")
        #expect(renderer.render("Es ist {time} am {weekday}") == "Es ist 07:05 am Dienstag")
        #expect(renderer.render("{date}, {headphoneMode}") == "24. november 2026, off")
        renderer.voice = "fr+m2"
        renderer.clock = .h12
        #expect(renderer.render("Il est {time}, {weekday} {date}.") == "Il est 7:05 du matin, mardi 24 novembre 2026.")
        renderer.voice = "xx"
        #expect(renderer.render("{weekday} {date} {time}") == "Tuesday November 24, 2026 7:05 AM")
    }
}
