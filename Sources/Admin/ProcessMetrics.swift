internal import Glibc

/// The standard `process_*` metrics of the Prometheus client libraries, read from /proc/self
/// on each scrape (Linux only; nothing elsewhere).
public enum ProcessMetrics {
    public static func samples() -> [MetricSample] {
        var samples: [MetricSample] = []
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        if let stat = statFields(), stat.count > 21, ticks > 0 {
            // Fields after the command name: state is [0], utime [11], stime [12], starttime [19],
            // vsize [20], rss pages [21] (proc(5) numbers them 3, 14, 15, 22, 23, 24).
            if let user = Double(stat[11]), let system = Double(stat[12]) {
                samples.append(MetricSample(name: "process_cpu_seconds_total", help: "Total user and system CPU time spent in seconds.",
                                            type: .counter, value: (user + system) / ticks))
            }
            if let startTicks = Double(stat[19]), let boot = bootTime() {
                samples.append(MetricSample(name: "process_start_time_seconds", help: "Start time of the process since unix epoch in seconds.",
                                            type: .gauge, value: boot + startTicks / ticks))
            }
            if let virtual = Double(stat[20]) {
                samples.append(MetricSample(name: "process_virtual_memory_bytes", help: "Virtual memory size in bytes.", type: .gauge, value: virtual))
            }
            if let pages = Double(stat[21]) {
                samples.append(MetricSample(name: "process_resident_memory_bytes", help: "Resident memory size in bytes.", type: .gauge, value: pages * pageSize))
            }
        }
        if let open = openDescriptorCount() {
            samples.append(MetricSample(name: "process_open_fds", help: "Number of open file descriptors.", type: .gauge, value: Double(open)))
        }
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 {
            samples.append(MetricSample(name: "process_max_fds", help: "Maximum number of open file descriptors.", type: .gauge, value: Double(limit.rlim_cur)))
        }
        return samples
    }

    /// /proc/self/stat split after the parenthesised command name (which may contain spaces).
    private static func statFields() -> [Substring]? {
        guard let text = readFile("/proc/self/stat"), let close = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: close)...].split(separator: " ")
    }

    private static func bootTime() -> Double? {
        guard let text = readFile("/proc/stat") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6).filter { $0 != " " && $0 != "\t" })
        }
        return nil
    }

    private static func openDescriptorCount() -> Int? {
        guard let directory = opendir("/proc/self/fd") else { return nil }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name != [UInt8(ascii: ".")] && name != [UInt8(ascii: "."), UInt8(ascii: ".")] { count += 1 }
        }
        return count - 1  // the directory being read
    }

    private static func readFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            if count <= 0 { break }
            bytes += buffer[0..<count]
            if bytes.count > 1 << 20 { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
