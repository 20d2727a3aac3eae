//! v1 blkio controller: weights (CFQ `blkio.weight` or BFQ `blkio.bfq.weight`, whichever the
//! kernel has) and throttling.

use std::path::Path;

use oci_spec::runtime::{LinuxBlockIo, LinuxThrottleDevice};

use crate::cgroups::error::CgroupError;
use crate::cgroups::fs;
use crate::cgroups::stats::{Blkio, BlkioEntry};

/// The weight file prefix present on this kernel: "blkio" (CFQ) or "blkio.bfq" (BFQ).
fn weight_prefix(dir: &Path) -> Option<&'static str> {
    if fs::exists(dir, "blkio.weight") {
        Some("blkio")
    } else if fs::exists(dir, "blkio.bfq.weight") {
        Some("blkio.bfq")
    } else {
        None
    }
}

fn no_weight(dir: &Path, what: &str, data: String) -> CgroupError {
    CgroupError::MissingFile {
        what: format!("blockIO.{what} (neither blkio.weight nor blkio.bfq.weight exists: no CFQ/BFQ I/O scheduler)"),
        path: dir.join("blkio.weight"),
        data,
    }
}

fn throttle(
    dir: &Path,
    file: &str,
    list: &Option<Vec<LinuxThrottleDevice>>,
) -> Result<(), CgroupError> {
    for d in list.iter().flatten() {
        fs::write_hint(
            dir,
            file,
            &format!("{}:{} {}", d.major(), d.minor(), d.rate()),
            " (ENODEV/EINVAL: the major:minor must name an existing block device, not a partition of an unsupported type)",
        )?;
    }
    Ok(())
}

pub(crate) fn apply(dir: &Path, b: &LinuxBlockIo) -> Result<(), CgroupError> {
    if let Some(w) = b.weight() {
        let p = weight_prefix(dir).ok_or_else(|| no_weight(dir, "weight", w.to_string()))?;
        fs::write_hint(
            dir,
            &format!("{p}.weight"),
            &w.to_string(),
            " (the weight must be 10..=1000)",
        )?;
    }
    if let Some(w) = b.leaf_weight() {
        fs::write(dir, "blkio.leaf_weight", &w.to_string())?;
    }
    for d in b.weight_device().iter().flatten() {
        if let Some(w) = d.weight() {
            let p =
                weight_prefix(dir).ok_or_else(|| no_weight(dir, "weightDevice", w.to_string()))?;
            fs::write(
                dir,
                &format!("{p}.weight_device"),
                &format!("{}:{} {}", d.major(), d.minor(), w),
            )?;
        }
        if let Some(w) = d.leaf_weight() {
            fs::write(
                dir,
                "blkio.leaf_weight_device",
                &format!("{}:{} {}", d.major(), d.minor(), w),
            )?;
        }
    }
    throttle(
        dir,
        "blkio.throttle.read_bps_device",
        b.throttle_read_bps_device(),
    )?;
    throttle(
        dir,
        "blkio.throttle.write_bps_device",
        b.throttle_write_bps_device(),
    )?;
    throttle(
        dir,
        "blkio.throttle.read_iops_device",
        b.throttle_read_iops_device(),
    )?;
    throttle(
        dir,
        "blkio.throttle.write_iops_device",
        b.throttle_write_iops_device(),
    )?;
    Ok(())
}

/// Parse "8:0 Read 4096" lines; the "Total" line is skipped.
fn entries(dir: &Path, file: &str) -> Result<Vec<BlkioEntry>, CgroupError> {
    if !fs::exists(dir, file) {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for line in fs::read(dir, file)?.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() != 3 {
            continue;
        }
        let Some((maj, min)) = f[0].split_once(':') else {
            continue;
        };
        out.push(BlkioEntry {
            major: fs::parse_u64(dir, file, maj)?,
            minor: fs::parse_u64(dir, file, min)?,
            op: f[1].to_string(),
            value: fs::parse_u64(dir, file, f[2])?,
        });
    }
    Ok(out)
}

pub(crate) fn stats(dir: &Path, out: &mut Blkio) -> Result<(), CgroupError> {
    // CFQ/BFQ statistics when the kernel keeps them, else the throttle layer's (runc does the same).
    out.io_service_bytes_recursive = entries(dir, "blkio.io_service_bytes_recursive")?;
    out.io_serviced_recursive = entries(dir, "blkio.io_serviced_recursive")?;
    if out.io_serviced_recursive.is_empty() {
        out.io_service_bytes_recursive = entries(dir, "blkio.throttle.io_service_bytes_recursive")?;
        out.io_serviced_recursive = entries(dir, "blkio.throttle.io_serviced_recursive")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroups::testutil::{fake, read};
    use oci_spec::runtime::{LinuxBlockIoBuilder, LinuxThrottleDeviceBuilder};

    fn dev(rate: u64) -> LinuxThrottleDevice {
        LinuxThrottleDeviceBuilder::default()
            .major(8)
            .minor(0)
            .rate(rate)
            .build()
            .unwrap()
    }

    #[test]
    fn throttles_without_weight_files() {
        let d = fake(&[
            "blkio.throttle.read_bps_device",
            "blkio.throttle.write_iops_device",
        ]);
        let b = LinuxBlockIoBuilder::default()
            .throttle_read_bps_device(vec![dev(1_048_576)])
            .throttle_write_iops_device(vec![dev(100)])
            .build()
            .unwrap();
        apply(d.path(), &b).unwrap();
        assert_eq!(
            read(d.path(), "blkio.throttle.read_bps_device"),
            "8:0 1048576"
        );
        assert_eq!(
            read(d.path(), "blkio.throttle.write_iops_device"),
            "8:0 100"
        );
        let w = LinuxBlockIoBuilder::default()
            .weight(500u16)
            .build()
            .unwrap();
        let err = apply(d.path(), &w).unwrap_err();
        assert!(err.to_string().contains("blkio.weight"), "{err}");
    }

    #[test]
    fn bfq_weight_fallback_and_stats() {
        let d = fake(&["blkio.bfq.weight"]);
        apply(
            d.path(),
            &LinuxBlockIoBuilder::default()
                .weight(300u16)
                .build()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(read(d.path(), "blkio.bfq.weight"), "300");
        std::fs::write(
            d.path().join("blkio.throttle.io_serviced_recursive"),
            "8:0 Read 3\n8:0 Write 4\nTotal 7\n",
        )
        .unwrap();
        let mut s = Blkio::default();
        stats(d.path(), &mut s).unwrap();
        assert_eq!(s.io_serviced_recursive.len(), 2);
        assert_eq!(s.io_serviced_recursive[1].op, "Write");
        assert_eq!(s.io_serviced_recursive[1].value, 4);
    }
}
