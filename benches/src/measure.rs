//! CPU time, memory and load, from getrusage and `/proc`.

use std::time::Duration;

/// CPU time (user + system) of this whole process, from
/// `getrusage(RUSAGE_SELF)`, with microsecond resolution.
#[allow(unsafe_code)]
pub fn process_cpu() -> Duration {
    // SAFETY: getrusage only writes the struct we hand it, which is a
    // plain C struct for which all-zero bytes are a valid value.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut usage) != 0 {
            return Duration::ZERO;
        }
        usage
    };
    let micros = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    Duration::from_micros(micros(usage.ru_utime) + micros(usage.ru_stime))
}

/// Clock ticks per second, the unit of `/proc/*/stat` times.
#[allow(unsafe_code)]
fn clock_ticks() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 {
        ticks as u64
    } else {
        100
    }
}

/// user + system time from a `/proc/.../stat` line (fields 14 and 15).
fn stat_cpu(stat: &str) -> Option<Duration> {
    // The command name (field 2) may hold spaces: start after its ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_micros(
        (utime + stime) * 1_000_000 / clock_ticks(),
    ))
}

/// CPU time of another process (all its threads, living and exited), from
/// `/proc/<pid>/stat`, with clock-tick resolution (10 ms).
pub fn pid_cpu(pid: u32) -> Option<Duration> {
    stat_cpu(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// CPU time of this process's threads whose name starts with `prefix`
/// (the in-process manager runs on threads of its own), clock-tick
/// resolution.
pub fn threads_cpu(prefix: &str) -> Duration {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Duration::ZERO;
    };
    tasks
        .flatten()
        .filter_map(|task| {
            let comm = std::fs::read_to_string(task.path().join("comm")).ok()?;
            if !comm.starts_with(prefix) {
                return None;
            }
            stat_cpu(&std::fs::read_to_string(task.path().join("stat")).ok()?)
        })
        .sum()
}

/// A `/proc/<pid>/status` figure in KiB (`VmRSS`, `VmHWM`); `None` for
/// this process.
pub fn status_kib(pid: Option<u32>, key: &str) -> Option<u64> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/status"),
        None => "/proc/self/status".to_owned(),
    };
    let status = std::fs::read_to_string(path).ok()?;
    status.lines().find_map(|line| {
        let value = line.strip_prefix(key)?.strip_prefix(':')?;
        value.split_whitespace().next()?.parse().ok()
    })
}

/// Resets a process's peak RSS (`VmHWM`) to its current RSS; false where
/// the kernel does not allow it.
pub fn reset_peak_rss(pid: Option<u32>) -> bool {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/clear_refs"),
        None => "/proc/self/clear_refs".to_owned(),
    };
    std::fs::write(path, "5").is_ok()
}

/// The 1-minute load average.
pub fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stat_lines() {
        let line = "42 (a b) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0";
        let ticks = clock_ticks();
        assert_eq!(
            stat_cpu(line),
            Some(Duration::from_micros(300 * 1_000_000 / ticks))
        );
        assert!(status_kib(None, "VmRSS").is_some_and(|kib| kib > 0));
        assert!(pid_cpu(std::process::id()).is_some());
    }
}
