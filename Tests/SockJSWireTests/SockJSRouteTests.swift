import HTTPWire
import SockJSWire
import XCTest

/// Paths, transports and the pages outside sessions (BaseUrlGreeting, IframePage, InfoTest,
/// SessionURLs, HtmlFile/JsonPolling callbacks).
final class SockJSRouteTests: XCTestCase {
    func testGreetingInfoWebSocketAndIframe() {
        XCTAssertEqual(SockJSRoute.parse(""), .greeting)
        XCTAssertEqual(SockJSRoute.parse("/"), .greeting)
        XCTAssertEqual(SockJSRoute.parse("/info"), .info)
        XCTAssertEqual(SockJSRoute.parse("/websocket"), .rawWebSocket)
        for iframe in ["/iframe.html", "/iframe-a.html", "/iframe-.html", "/iframe-0.1.2.html", "/iframe-0.1.2abc-dirty.2144.html"] {
            XCTAssertEqual(SockJSRoute.parse(iframe), .iframe, iframe)
        }
    }

    func testUnknownPathsAreNotFound() {
        for path in ["/a", "/a.html", "//", "///", "/a/a", "/a/a/", "/a/", "/iframe.htm", "/iframe", "/IFRAME.HTML",
                     "/iframe.HTML", "/iframe.xml", "/iframe-/.html", "/a/a/unknown"] {
            XCTAssertEqual(SockJSRoute.parse(path), .notFound, path)
        }
    }

    func testSessionPathsTakeAnyServerAndSessionWithoutDots() {
        XCTAssertEqual(SockJSRoute.parse("/000/abc/xhr"), .session(server: "000", session: "abc", transport: .xhr))
        XCTAssertEqual(SockJSRoute.parse("/_/_1/xhr_send"), .session(server: "_", session: "_1", transport: .xhrSend))
        XCTAssertEqual(SockJSRoute.parse("/abcdefgh_i-j%20/abcdefg_i-j%201/xhr_streaming"),
                       .session(server: "abcdefgh_i-j%20", session: "abcdefg_i-j%201", transport: .xhrStreaming))
        for path in ["///xhr", "/a./a/xhr", "/a/a./xhr", "/./././xhr", "//xhr", "/a//xhr"] {
            XCTAssertEqual(SockJSRoute.parse(path), .notFound, path)
        }
        for transport in SockJSTransport.allCases {
            XCTAssertEqual(SockJSRoute.parse("/1/2/" + transport.rawValue), .session(server: "1", session: "2", transport: transport))
        }
    }

    func testTransportMethods() {
        XCTAssertEqual(SockJSTransport.xhr.method, "POST")
        XCTAssertEqual(SockJSTransport.xhrSend.method, "POST")
        XCTAssertEqual(SockJSTransport.jsonpSend.method, "POST")
        XCTAssertEqual(SockJSTransport.eventsource.method, "GET")
        XCTAssertEqual(SockJSTransport.jsonp.method, "GET")
        XCTAssertTrue(SockJSTransport.xhrStreaming.answersOptions)
        XCTAssertFalse(SockJSTransport.jsonp.answersOptions)
    }

    func testCallbacksAreValidated() {
        for good in ["callback", "a.b_c-1", "jQuery123"] { XCTAssertTrue(SockJSReceiverKind.validCallback(good), good) }
        for bad in ["", " ", "*", "abc(", "a;b", "a</script>"] { XCTAssertFalse(SockJSReceiverKind.validCallback(bad), bad) }
    }

    func testInfoAnswersTheProtocolFields() {
        let response = SockJSPages().info(entropy: 42, origin: "test")
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.header("content-type"), "application/json; charset=UTF-8")
        XCTAssertEqual(String(decoding: response.body, as: UTF8.self),
                       #"{"websocket":true,"cookie_needed":false,"origins":["*:*"],"entropy":42}"#)
        XCTAssertEqual(response.header("access-control-allow-origin"), "test")
        XCTAssertEqual(response.header("access-control-allow-credentials"), "true")
        XCTAssertEqual(response.header("cache-control"), "no-store, no-cache, no-transform, must-revalidate, max-age=0")
        XCTAssertNil(response.header("set-cookie"))
        let noWebSocket = SockJSPages(webSocketEnabled: false).info(entropy: 1, origin: nil)
        XCTAssertTrue(String(decoding: noWebSocket.body, as: UTF8.self).hasPrefix(#"{"websocket":false"#))
        XCTAssertEqual(noWebSocket.header("access-control-allow-origin"), "*")
        XCTAssertNil(noWebSocket.header("access-control-allow-credentials"))
    }

    func testPreflightIsCacheableForAYear() {
        let response = SockJSPages.preflight(methods: "OPTIONS, POST", origin: "null", requestHeaders: "a, b, c")
        XCTAssertEqual(response.status, 204)
        XCTAssertEqual(response.header("access-control-allow-methods"), "OPTIONS, POST")
        XCTAssertEqual(response.header("access-control-max-age"), "31536000")
        XCTAssertEqual(response.header("access-control-allow-origin"), "null")
        XCTAssertEqual(response.header("access-control-allow-headers"), "a, b, c")
        XCTAssertTrue(response.body.isEmpty)
        XCTAssertNil(SockJSPages.preflight(methods: "OPTIONS, GET", origin: "x", requestHeaders: "").header("access-control-allow-headers"))
    }

    func testIframePageHasAnETagAndAnswers304() {
        let pages = SockJSPages(clientScriptURL: "/static/sockjs.min.js")
        let page = pages.iframe(ifNoneMatch: nil)
        XCTAssertEqual(page.status, 200)
        let body = String(decoding: page.body, as: UTF8.self)
        XCTAssertTrue(body.hasPrefix("<!DOCTYPE html>\n<html>\n<head>"))
        XCTAssertTrue(body.contains(#"<script src="/static/sockjs.min.js"></script>"#))
        XCTAssertTrue(body.contains("SockJS.bootstrap_iframe();"))
        let etag = try? XCTUnwrap(page.header("etag"))
        XCTAssertEqual(pages.iframe(ifNoneMatch: nil).header("etag"), etag)
        let cached = pages.iframe(ifNoneMatch: etag)
        XCTAssertEqual(cached.status, 304)
        XCTAssertTrue(cached.body.isEmpty)
        XCTAssertNil(cached.header("content-type"))
    }

    func testTransportsFrameLikeTheProtocolTests() {
        XCTAssertEqual(SockJSReceiverKind.xhrPolling.encode(.open), "o\n")
        XCTAssertEqual(SockJSReceiverKind.xhrStreaming.prelude, String(repeating: "h", count: 2048) + "\n")
        XCTAssertEqual(SockJSReceiverKind.eventSource.prelude, "\r\n")
        XCTAssertEqual(SockJSReceiverKind.eventSource.encode(.messages(["x"])), "data: a[\"x\"]\r\n\r\n")
        XCTAssertEqual(SockJSReceiverKind.htmlFile(callback: "cb").encode(.messages(["x"])), "<script>\np(\"a[\\\"x\\\"]\");\n</script>\r\n")
        XCTAssertEqual(SockJSReceiverKind.htmlFile(callback: "cb").encode(.open), "<script>\np(\"o\");\n</script>\r\n")
        XCTAssertEqual(SockJSReceiverKind.jsonpPolling(callback: "callback").encode(.open), "/**/callback(\"o\");\r\n")
        XCTAssertEqual(SockJSReceiverKind.jsonpPolling(callback: "x").encode(.goAway), "/**/x(\"c[3000,\\\"Go away!\\\"]\");\r\n")
        XCTAssertEqual(SockJSReceiverKind.websocket.encode(.messages(["a"])), "a[\"a\"]")
        let htmlPrelude = SockJSReceiverKind.htmlFile(callback: "callback").prelude
        XCTAssertGreaterThan(htmlPrelude.utf8.count, 1024)
        XCTAssertTrue(htmlPrelude.contains("var c = parent.callback;"))
        XCTAssertEqual(SockJSReceiverKind.make(.jsonp, callback: nil), nil)
        XCTAssertEqual(SockJSReceiverKind.make(.xhrSend, callback: nil), nil)
    }
}
