import HTTPClient
import HTTPWire
import TestSupport
import UVLoop
import XCTest

final class HTTPClientTests: XCTestCase {
    var loop: EventLoop!

    override func setUpWithError() throws {
        loop = try EventLoop()
    }

    func testPostReceivesStatusAndBodyAndServerSeesMethodHeadersAndBody() throws {
        let server = try TestHTTPServer(loop: loop) { request in
            HTTPResponse(status: 201, headers: [("Content-Type", "application/json")], body: Array("got \(request.body.count)".utf8))
        }
        let client = HTTPClient(loop: loop)
        var result: Result<HTTPClientResponse, HTTPClientError>?
        let body = Array(repeating: UInt8(ascii: "x"), count: 5_000)  // over 1 KiB: no Expect: 100-continue wait
        client.send(HTTPClientRequest(url: server.url + "/hook", headers: [("Content-Type", "application/json"), ("X-Test", "1")], body: body)) { result = $0 }
        XCTAssertEqual(client.inFlightCount, 1)
        spin(loop, timeoutMilliseconds: 3_000) { result != nil }
        XCTAssertEqual(try result?.get(), HTTPClientResponse(status: 201, body: Array("got 5000".utf8)))
        let request = try XCTUnwrap(server.requests.first)
        XCTAssertEqual(request.head.method, "POST")
        XCTAssertEqual(request.head.path, "/hook")
        XCTAssertEqual(request.head.header("x-test"), "1")
        XCTAssertNil(request.head.header("expect"))
        XCTAssertEqual(request.body, body)
        XCTAssertEqual(client.inFlightCount, 0)
        client.close()
        server.close()
        assertLoopClosesCleanly(loop)
    }

    func testErrorStatusIsAResponseNotAFailure() throws {
        let server = try TestHTTPServer(loop: loop) { _ in HTTPResponse(status: 503, body: Array("busy".utf8)) }
        let client = HTTPClient(loop: loop)
        var result: Result<HTTPClientResponse, HTTPClientError>?
        client.send(HTTPClientRequest(method: "GET", url: server.url + "/x")) { result = $0 }
        spin(loop, timeoutMilliseconds: 3_000) { result != nil }
        XCTAssertEqual(try result?.get().status, 503)
        XCTAssertEqual(server.requests.first?.head.method, "GET")
        client.close()
        server.close()
        assertLoopClosesCleanly(loop)
    }

    func testServerThatNeverAnswersTimesOutWithinTheRequestTimeout() throws {
        let server = try TestHTTPServer(loop: loop) { _ in nil }
        let client = HTTPClient(loop: loop)
        var result: Result<HTTPClientResponse, HTTPClientError>?
        loop.updateTime()
        let started = loop.nowMilliseconds
        client.send(HTTPClientRequest(url: server.url, timeoutMilliseconds: 200)) { result = $0 }
        spin(loop, timeoutMilliseconds: 3_000) { result != nil }
        let elapsed = loop.nowMilliseconds - started
        XCTAssertEqual(result.map { if case .failure(.timedOut) = $0 { true } else { false } }, true, "\(String(describing: result))")
        XCTAssertGreaterThanOrEqual(elapsed, 190)
        XCTAssertLessThan(elapsed, 1_500)
        client.close()
        server.close()
        assertLoopClosesCleanly(loop)
    }

    func testRefusedConnectionFailsAtOnce() throws {
        // A port that was just free: nothing listens there.
        let probe = try TCPListener(loop: loop, host: "127.0.0.1", port: 0) { $0.close(afterFlush: false) }
        let port = probe.port
        probe.close()
        loop.runNoWait()
        let client = HTTPClient(loop: loop)
        var result: Result<HTTPClientResponse, HTTPClientError>?
        client.send(HTTPClientRequest(url: "http://127.0.0.1:\(port)/", timeoutMilliseconds: 5_000)) { result = $0 }
        spin(loop, timeoutMilliseconds: 2_000) { result != nil }
        guard case .failure(.connectionFailed)? = result else { return XCTFail("expected connectionFailed, got \(String(describing: result))") }
        client.close()
        assertLoopClosesCleanly(loop)
    }

    func testManyConcurrentRequestsAllComplete() throws {
        let server = try TestHTTPServer(loop: loop) { HTTPResponse(status: 200, body: $0.body) }
        let client = HTTPClient(loop: loop)
        var answers: [Int: [UInt8]] = [:]
        let count = 200
        for index in 0..<count {
            client.send(HTTPClientRequest(url: server.url, body: Array("\(index)".utf8))) { result in
                if case .success(let response) = result { answers[index] = response.body }
            }
        }
        XCTAssertEqual(client.inFlightCount, count)
        spin(loop, timeoutMilliseconds: 10_000) { answers.count == count }
        for index in 0..<count { XCTAssertEqual(answers[index], Array("\(index)".utf8)) }
        client.close()
        server.close()
        assertLoopClosesCleanly(loop)
    }

    func testHangingServerDoesNotDelayATimerOnTheSameLoop() throws {
        let server = try TestHTTPServer(loop: loop) { _ in nil }
        let client = HTTPClient(loop: loop)
        var results = 0
        for _ in 0..<20 { client.send(HTTPClientRequest(url: server.url, timeoutMilliseconds: 2_000)) { _ in results += 1 } }
        let timer = Timer(loop: loop)
        var firedAt: UInt64?
        loop.updateTime()
        let started = loop.nowMilliseconds
        timer.start(afterMilliseconds: 50) { firedAt = self.loop.nowMilliseconds }
        spin(loop, timeoutMilliseconds: 2_000) { firedAt != nil }
        XCTAssertLessThan(try XCTUnwrap(firedAt) - started, 250, "a 50 ms timer fired late while requests hang")
        XCTAssertEqual(results, 0)
        XCTAssertEqual(server.requests.count, 20)
        timer.close()
        client.close()
        XCTAssertEqual(results, 20, "closing completes every request, cancelled")
        server.close()
        assertLoopClosesCleanly(loop)
    }

    func testResponseOverTheLimitFails() throws {
        let server = try TestHTTPServer(loop: loop) { _ in HTTPResponse(status: 200, body: Array(repeating: 65, count: 10_000)) }
        let client = HTTPClient(loop: loop, maxResponseBytes: 1_000)
        var result: Result<HTTPClientResponse, HTTPClientError>?
        client.send(HTTPClientRequest(url: server.url)) { result = $0 }
        spin(loop, timeoutMilliseconds: 3_000) { result != nil }
        XCTAssertEqual(result.map { if case .failure(.responseTooLarge(1_000)) = $0 { true } else { false } }, true)
        client.close()
        server.close()
        assertLoopClosesCleanly(loop)
    }

    func testClosedClientCancelsAtOnce() throws {
        let client = HTTPClient(loop: loop)
        client.close()
        var result: Result<HTTPClientResponse, HTTPClientError>?
        client.send(HTTPClientRequest(url: "http://127.0.0.1:1/")) { result = $0 }
        XCTAssertEqual(result.map { if case .failure(.cancelled) = $0 { true } else { false } }, true)
        assertLoopClosesCleanly(loop)
    }
}
