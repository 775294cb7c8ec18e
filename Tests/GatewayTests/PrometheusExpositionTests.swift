@testable import Admin
@testable import Gateway
import XCTest

/// The text exposition format 0.0.4 renderer.
final class PrometheusExpositionTests: XCTestCase {
    func testNoSamplesRenderNothing() {
        XCTAssertEqual(PrometheusExposition.render([]), "")
    }

    func testHelpAndTypeOncePerNameWithSamplesGroupedInFirstAppearanceOrder() {
        let samples = [
            MetricSample(name: "stampede_frames_total", help: "Frames.", type: .counter, labels: [("direction", "in")], value: 10),
            MetricSample(name: "stampede_connections", help: "Open connections.", type: .gauge, value: 2),
            MetricSample(name: "stampede_frames_total", help: "Frames.", type: .counter, labels: [("direction", "out")], value: 7),
        ]
        XCTAssertEqual(PrometheusExposition.render(samples), """
            # HELP stampede_frames_total Frames.
            # TYPE stampede_frames_total counter
            stampede_frames_total{direction="in"} 10
            stampede_frames_total{direction="out"} 7
            # HELP stampede_connections Open connections.
            # TYPE stampede_connections gauge
            stampede_connections 2

            """)
    }

    func testTheFirstSampleOfANameSuppliesHelpAndType() {
        let samples = [
            MetricSample(name: "m", help: "first", type: .gauge, value: 1),
            MetricSample(name: "m", help: "second", type: .counter, value: 2),
        ]
        XCTAssertEqual(PrometheusExposition.render(samples), "# HELP m first\n# TYPE m gauge\nm 1\nm 2\n")
    }

    func testLabelValuesEscapeBackslashQuoteAndNewline() {
        let sample = MetricSample(name: "m", help: "h", type: .gauge, labels: [("a", #"x\y"z"#), ("b", "line\nbreak"), ("c", "é{},=")], value: 1)
        XCTAssertEqual(PrometheusExposition.render([sample]), "# HELP m h\n# TYPE m gauge\n" + #"m{a="x\\y\"z",b="line\nbreak",c="é{},="} 1"# + "\n")
    }

    func testHelpEscapesBackslashAndNewlineButNotQuotes() {
        XCTAssertEqual(PrometheusExposition.escapedHelp("a \\ b\n\"c\""), #"a \\ b\n"c""#)
        let sample = MetricSample(name: "m", help: "two\nlines", type: .counter, value: 0)
        XCTAssertEqual(PrometheusExposition.render([sample]), "# HELP m two\\nlines\n# TYPE m counter\nm 0\n")
    }

    func testValues() {
        let cases: [(Double, String)] = [
            (0, "0"), (42, "42"), (-3, "-3"), (0.25, "0.25"), (1.5e-7, "1.5e-07"), (1e20, "1e+20"),
            (123_456_789_012, "123456789012"), (.nan, "NaN"), (.infinity, "+Inf"), (-.infinity, "-Inf"), (-0.0, "0"),
        ]
        for (value, text) in cases {
            XCTAssertEqual(PrometheusExposition.formattedValue(value), text, "\(value)")
        }
    }

    func testInvalidNamesAreRepairedNotDropped() {
        XCTAssertEqual(PrometheusExposition.sanitizedName("stampede:rate_5m", allowColon: true), "stampede:rate_5m")
        XCTAssertEqual(PrometheusExposition.sanitizedName("a.b-c d", allowColon: true), "a_b_c_d")
        XCTAssertEqual(PrometheusExposition.sanitizedName("5xx", allowColon: true), "_5xx")
        XCTAssertEqual(PrometheusExposition.sanitizedName("node:id", allowColon: false), "node_id")
        XCTAssertEqual(PrometheusExposition.sanitizedName("", allowColon: false), "_")
        let sample = MetricSample(name: "bad.name", help: "h", type: .gauge, labels: [("node-id", "n1")], value: 1)
        XCTAssertEqual(PrometheusExposition.render([sample]), "# HELP bad_name h\n# TYPE bad_name gauge\nbad_name{node_id=\"n1\"} 1\n")
    }

    func testSamplesWhoseNamesRepairToTheSameNameShareAFamily() {
        let samples = [
            MetricSample(name: "a.b", help: "h", type: .gauge, value: 1),
            MetricSample(name: "a_b", help: "other", type: .gauge, value: 2),
        ]
        XCTAssertEqual(PrometheusExposition.render(samples), "# HELP a_b h\n# TYPE a_b gauge\na_b 1\na_b 2\n")
    }
}
