//! Timestamps as Docker writes them: RFC 3339, UTC, nanoseconds, "Z".

use std::time::SystemTime;

/// `2026-11-24T05:00:00.123456789Z` (the runtime's formatter).
pub use runtime::state::rfc3339;

pub fn now() -> String {
    rfc3339(SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn formats_like_docker() {
        let t = UNIX_EPOCH + Duration::new(1_795_496_400, 123_456_789);
        assert_eq!(rfc3339(t), "2026-11-24T05:00:00.123456789Z");
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000000000Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert!(rfc3339(leap).starts_with("2000-02-29T00:00:00"));
    }
}
