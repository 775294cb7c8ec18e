import Gateway
import XCTest

/// The server API's listener is secure by default: open only on loopback, keys required
/// elsewhere, keys never shown.
final class APIConfigurationTests: ConfigurationTestCase {
    func testAPIOffLoopbackNeedsKeysAndItsOwnPort() throws {
        XCTAssertEqual(NodeConfiguration().apiPort, 15680)
        XCTAssertEqual(NodeConfiguration().apiHost, "127.0.0.1")
        XCTAssertEqual(loadError(overrides: [("api.host", "0.0.0.0")])?.description,
                       "api.host 0.0.0.0 is not a loopback address, so api.keys (or auth.jwt.* keys) must be set")
        XCTAssertEqual(try load(overrides: [("api.host", "0.0.0.0"), ("api.keys", "k1,k2")]).apiKeys, ["k1", "k2"])
        XCTAssertNil(try load(overrides: [("api.host", "0.0.0.0"), ("api.port", "off")]).apiPort, "no listener, no key needed")
        XCTAssertEqual(loadError(overrides: [("api.port", "15675")])?.description,
                       "api.port and admin.port are both 15675; give them different ports")
        XCTAssertEqual(loadError(overrides: [("api.keys", "has space")])?.kind, .invalidValue)
    }

    func testKeysAreMaskedInConfigCheckAndNeverInErrors() throws {
        let configuration = try load(overrides: [("api.keys", "sup3r-secret")])
        XCTAssertFalse(ConfigurationLoader.yaml(for: configuration).contains("sup3r-secret"))
        XCTAssertTrue(ConfigurationLoader.yaml(for: configuration, showSecrets: true).contains("sup3r-secret"))
        let error = loadError(overrides: [("api.keys", "sup3r secret")])?.description ?? ""
        XCTAssertTrue(error.hasPrefix("invalid value for api.keys"), error)
        XCTAssertFalse(error.contains("sup3r"), error)
    }

    func testWebhookAndHookSettings() throws {
        let configuration = try load(overrides: [("webhooks.max-attempts", "5"), ("hooks.connect-url", "https://auth.example/connect"),
                                                 ("hooks.events", "subscribe")])
        XCTAssertEqual(configuration.webhooks.maxAttempts, 5)
        XCTAssertEqual(configuration.connectHookURL, "https://auth.example/connect")
        XCTAssertEqual(configuration.hookEvents, ["subscribe"])
        XCTAssertEqual(loadError(overrides: [("hooks.connect-url", "ftp://x/")])?.kind, .invalidValue)
        XCTAssertEqual(loadError(overrides: [("hooks.events", "publish")])?.kind, .invalidValue)
        XCTAssertEqual(loadError(overrides: [("webhooks.max-attempts", "0")])?.kind, .invalidValue)
    }
}
