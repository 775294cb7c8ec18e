/// Why a configuration could not be loaded; `description` is one line meant for the operator.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The file could not be opened or read.
        case unreadableFile
        /// The file is not YAML, or not a mapping of settings.
        case malformedFile
        /// A key, variable or flag that names no setting.
        case unknownKey
        /// The same key twice in one file.
        case duplicateKey
        /// A value the key does not accept.
        case invalidValue
        /// Values that are each valid but do not fit together.
        case inconsistentValues
    }

    public let kind: Kind
    /// The setting concerned, when there is one.
    public let key: String?
    public let description: String

    init(_ kind: Kind, key: String? = nil, _ description: String) {
        self.kind = kind
        self.key = key
        self.description = description
    }
}

/// Where a value came from, phrased to follow a key in an error message.
enum ConfigurationSource: Equatable {
    case file(path: String, line: Int?)
    case environment(variable: String)
    case commandLine

    var phrase: String {
        switch self {
        case .file(let path, let line?): "in \(path) (line \(line))"
        case .file(let path, nil): "in \(path)"
        case .environment(let variable): "in environment variable \(variable)"
        case .commandLine: "on the command line"
        }
    }
}

extension ConfigurationError {
    static func unknownKey(_ name: String, _ source: ConfigurationSource, suggestion: String?) -> ConfigurationError {
        ConfigurationError(.unknownKey, key: name, "unknown key '\(name)' \(source.phrase)" + (suggestion.map { "; did you mean '\($0)'?" } ?? ""))
    }

    static func invalidValue(_ value: String?, for key: ConfigurationKey, _ source: ConfigurationSource) -> ConfigurationError {
        // Secrets are not echoed into logs.
        let shown = key.isSecret || value == nil ? "invalid value" : "invalid value '\(value!)'"
        return ConfigurationError(.invalidValue, key: key.name, "\(shown) for \(key.name) \(source.phrase): expected \(key.expected)")
    }
}

/// The candidate closest to `name` by edit distance, if it is close enough to be a likely typo.
func closestMatch(to name: String, in candidates: [String]) -> String? {
    let target = Array(name.utf8)
    var best: (candidate: String, distance: Int)?
    for candidate in candidates {
        let distance = editDistance(target, Array(candidate.utf8))
        if distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
    }
    guard let best, best.distance <= max(2, target.count / 4) else { return nil }
    return best.candidate
}

/// Levenshtein distance, one row at a time.
private func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
    if a.isEmpty { return b.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in stride(from: 1, through: b.count, by: 1) {
            let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
            current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
