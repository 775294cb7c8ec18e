// swift-tools-version: 6.0
// libFuzzer targets for Stampede's pure parsers. A separate package because building the main
// package with `--sanitize=fuzzer` would turn its executables into libraries. Run scripts/fuzz.sh.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let wire: Target.Dependency = .product(name: "StampedeWire", package: "Stampede")
let accessRules: Target.Dependency = .product(name: "StampedeAccessRules", package: "Stampede")

/// One executable per fuzz target; the name is what scripts/fuzz.sh takes.
func fuzzTarget(_ name: String, _ library: Target.Dependency = wire) -> Target {
    .executableTarget(name: name, dependencies: ["FuzzSupport", library], swiftSettings: strict)
}

let package = Package(
    name: "StampedeFuzz",
    dependencies: [
        .package(name: "Stampede", path: ".."),
    ],
    targets: [
        .target(name: "FuzzSupport", swiftSettings: strict),
        fuzzTarget("fuzz-stomp"),
        fuzzTarget("fuzz-websocket"),
        fuzzTarget("fuzz-utf8"),
        fuzzTarget("fuzz-http"),
        fuzzTarget("fuzz-handshake"),
        fuzzTarget("fuzz-envelope"),
        fuzzTarget("fuzz-access", accessRules),
    ]
)
