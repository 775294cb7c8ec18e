@testable import Admin
import XCTest

/// The histogram behind `stampede_delivery_latency_seconds`, `stampede_app_round_trip_seconds`
/// and `stampede_webhook_duration_seconds`, and how it is rendered.
final class LatencyHistogramTests: XCTestCase {
    func testAnObservationCountsInTheFirstBucketWhoseBoundIsNotBelowIt() {
        var histogram = LatencyHistogram(bounds: [0.001, 0.01, 0.1])
        histogram.observe(seconds: 0.001)      // on the bound: le="0.001"
        histogram.observe(nanoseconds: 5_000_000)
        histogram.observe(seconds: 0.2)        // above every bound: +Inf only
        XCTAssertEqual(histogram.counts, [1, 1, 0, 1])
        XCTAssertEqual(histogram.count, 3)
        XCTAssertEqual(histogram.sum, 0.206, accuracy: 1e-12)
    }

    func testRendersCumulativeBucketsSumAndCountAsOneFamily() {
        var histogram = LatencyHistogram(bounds: [0.00005, 0.5, 1])
        histogram.observe(seconds: 0.00001)
        histogram.observe(seconds: 0.25)
        histogram.observe(seconds: 3)
        let text = PrometheusExposition.render(
            [MetricSample(name: "before", help: "b", type: .gauge, value: 1)]
                + histogram.samples(name: "x_seconds", help: "Time.", labels: [("source", "local")]))
        XCTAssertEqual(text, """
            # HELP before b
            # TYPE before gauge
            before 1
            # HELP x_seconds Time.
            # TYPE x_seconds histogram
            x_seconds_bucket{source="local",le="0.00005"} 1
            x_seconds_bucket{source="local",le="0.5"} 2
            x_seconds_bucket{source="local",le="1"} 2
            x_seconds_bucket{source="local",le="+Inf"} 3
            x_seconds_sum{source="local"} 3.25001
            x_seconds_count{source="local"} 3

            """)
    }

    func testTwoLabelSetsOfOneHistogramShareHelpAndType() {
        let local = LatencyHistogram(bounds: [1]), cluster = LatencyHistogram(bounds: [1])
        let text = PrometheusExposition.render(local.samples(name: "h", help: "H.", labels: [("s", "a")]) + cluster.samples(name: "h", help: "H.", labels: [("s", "b")]))
        XCTAssertEqual(text.components(separatedBy: "# TYPE h histogram").count, 2)
        XCTAssertTrue(text.contains("h_count{s=\"a\"} 0\n") && text.contains("h_count{s=\"b\"} 0\n"))
    }

    func testBoundsAreWrittenAsDecimalsNotExponents() {
        XCTAssertEqual(LatencyHistogram.deliveryBounds.map(LatencyHistogram.format),
                       ["0.00005", "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1"])
        XCTAssertEqual(LatencyHistogram.format(2.5), "2.5")
        XCTAssertEqual(LatencyHistogram.format(10), "10")
    }
}
