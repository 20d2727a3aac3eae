//! v2 io controller: io.weight (or io.bfq.weight), io.max throttling, io.stat statistics.

use std::path::Path;

use oci_spec::runtime::{LinuxBlockIo, LinuxThrottleDevice};

use crate::cgroups::convert;
use crate::cgroups::error::CgroupError;
use crate::cgroups::fs;
use crate::cgroups::stats::{Blkio, BlkioEntry};

fn throttle(
    dir: &Path,
    key: &str,
    list: &Option<Vec<LinuxThrottleDevice>>,
) -> Result<(), CgroupError> {
    for d in list.iter().flatten() {
        fs::write_hint(
            dir,
            "io.max",
            &format!("{}:{} {}={}", d.major(), d.minor(), key, d.rate()),
            " (ENODEV: the major:minor must name a whole block device)",
        )?;
    }
    Ok(())
}

pub(crate) fn apply(dir: &Path, b: &LinuxBlockIo) -> Result<(), CgroupError> {
    if b.leaf_weight().is_some()
        || b.weight_device()
            .iter()
            .flatten()
            .any(|d| d.leaf_weight().is_some())
    {
        tracing::warn!("blockIO leafWeight is ignored: cgroup v2 has no leaf weights");
    }
    if let Some(w) = b.weight() {
        if fs::exists(dir, "io.bfq.weight") {
            // BFQ takes the blkio range (1..=1000) directly.
            fs::write(dir, "io.bfq.weight", &w.to_string())?;
        } else if let Some(iw) = convert::blkio_weight_to_io_weight(w) {
            fs::write(dir, "io.weight", &iw.to_string())?;
        }
    }
    for d in b.weight_device().iter().flatten() {
        if let Some(w) = d.weight() {
            if fs::exists(dir, "io.bfq.weight") {
                fs::write(
                    dir,
                    "io.bfq.weight",
                    &format!("{}:{} {}", d.major(), d.minor(), w),
                )?;
            } else if let Some(iw) = convert::blkio_weight_to_io_weight(w) {
                fs::write(
                    dir,
                    "io.weight",
                    &format!("{}:{} {}", d.major(), d.minor(), iw),
                )?;
            }
        }
    }
    throttle(dir, "rbps", b.throttle_read_bps_device())?;
    throttle(dir, "wbps", b.throttle_write_bps_device())?;
    throttle(dir, "riops", b.throttle_read_iops_device())?;
    throttle(dir, "wiops", b.throttle_write_iops_device())?;
    Ok(())
}

/// io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" per device.
pub(crate) fn stats(dir: &Path, out: &mut Blkio) -> Result<(), CgroupError> {
    if !fs::exists(dir, "io.stat") {
        return Ok(());
    }
    for line in fs::read(dir, "io.stat")?.lines() {
        let mut f = line.split_whitespace();
        let Some((maj, min)) = f.next().and_then(|d| d.split_once(':')) else {
            continue;
        };
        let (major, minor) = (
            fs::parse_u64(dir, "io.stat", maj)?,
            fs::parse_u64(dir, "io.stat", min)?,
        );
        for kv in f {
            let Some((k, v)) = kv.split_once('=') else {
                continue;
            };
            let value = fs::parse_u64(dir, "io.stat", v)?;
            let (list, op) = match k {
                "rbytes" => (&mut out.io_service_bytes_recursive, "Read"),
                "wbytes" => (&mut out.io_service_bytes_recursive, "Write"),
                "rios" => (&mut out.io_serviced_recursive, "Read"),
                "wios" => (&mut out.io_serviced_recursive, "Write"),
                _ => continue,
            };
            list.push(BlkioEntry {
                major,
                minor,
                op: op.to_string(),
                value,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroups::testutil::{fake, read};
    use oci_spec::runtime::{LinuxBlockIoBuilder, LinuxThrottleDeviceBuilder};

    #[test]
    fn weight_and_max() {
        let d = fake(&["io.weight", "io.max"]);
        let t = LinuxThrottleDeviceBuilder::default()
            .major(8)
            .minor(16)
            .rate(1000u64)
            .build()
            .unwrap();
        let b = LinuxBlockIoBuilder::default()
            .weight(500u16)
            .throttle_write_bps_device(vec![t])
            .build()
            .unwrap();
        apply(d.path(), &b).unwrap();
        assert_eq!(read(d.path(), "io.weight"), "4950");
        assert_eq!(read(d.path(), "io.max"), "8:16 wbps=1000");
        std::fs::write(
            d.path().join("io.stat"),
            "8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n",
        )
        .unwrap();
        let mut s = Blkio::default();
        stats(d.path(), &mut s).unwrap();
        assert_eq!(s.io_service_bytes_recursive.len(), 2);
        assert_eq!(s.io_serviced_recursive[1].value, 2);
    }
}
