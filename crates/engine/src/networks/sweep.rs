//! `system check`'s network part: what a crashed CLI or a killed container can leave —
//! endpoints (addresses, veths, published ports) of containers that no longer run,
//! namespace files of no running container, berth veths on this root's bridges that no
//! endpoint owns, and firewall port elements into this root's subnets that no endpoint
//! recorded. Only this root's bridges and subnets are looked at: another root's (another
//! test's) networks are never touched.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use network::firewall::Firewall;
use network::netlink::Netlink;

use super::{net_err, netns, ports};
use crate::check::CheckReport;
use crate::containers::state::is_active;
use crate::error::Result;
use crate::Engine;

impl Engine {
    fn runs(&mut self, id: &str) -> bool {
        self.container(id)
            .map(|c| is_active(&c.state.status))
            .unwrap_or(false)
    }

    /// Finds (and with `repair` removes) network debris.
    pub(crate) fn check_networks(&mut self, report: &mut CheckReport, repair: bool) -> Result<()> {
        for e in self.db().endpoints()? {
            if self.runs(&e.container_id) {
                continue;
            }
            let what = format!(
                "address {} of container {} that does not run",
                e.ip,
                crate::containers::names::short(&e.container_id)
            );
            let id = e.container_id.clone();
            report.outcome(what, "released", repair, || self.network_release(&id));
        }
        let dir = netns::netns_dir(self.root());
        let files: Vec<String> = std::fs::read_dir(&dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        for f in files {
            if self.runs(&f) {
                continue;
            }
            let p = dir.join(&f);
            report.outcome(
                format!("network namespace {} of no running container", p.display()),
                "removed",
                repair,
                || netns::remove(&p),
            );
        }
        let nets = self.db().networks()?;
        let eps = self.db().endpoints()?;
        let owned: BTreeSet<String> = eps
            .iter()
            .map(|e| network::endpoint::host_veth_name(&e.container_id, &e.network_id))
            .collect();
        let bridges: BTreeSet<&str> = nets
            .iter()
            .map(|n| n.bridge.as_str())
            .filter(|b| !b.is_empty())
            .collect();
        let mut nl = Netlink::open().map_err(net_err)?;
        let links = nl.links().map_err(net_err)?;
        let bridge_index: BTreeSet<u32> = links
            .iter()
            .filter(|l| bridges.contains(l.name.as_str()))
            .map(|l| l.index)
            .collect();
        for l in &links {
            let ours = l.master.is_some_and(|m| bridge_index.contains(&m));
            if !network::endpoint::is_berth_veth(&l.name) || !ours || owned.contains(&l.name) {
                continue;
            }
            let name = l.name.clone();
            // A removed container's pair goes with its namespace, in the background
            // (`network_release`): one still being torn down is not debris.
            if vanishes(&mut nl, &name, TEARDOWN_WAIT) {
                continue;
            }
            report.outcome(
                format!("veth {name} of no running container"),
                "removed",
                repair,
                || {
                    Netlink::open()
                        .and_then(|mut nl| nl.delete_link_by_name(&name).map(drop))
                        .map_err(net_err)
                },
            );
        }
        let subnets: Vec<Ipv4Net> = nets.iter().filter_map(|n| n.subnet.parse().ok()).collect();
        let mut expected = BTreeSet::new();
        for e in &eps {
            let ip: Ipv4Addr = e.ip.parse().unwrap_or(Ipv4Addr::UNSPECIFIED);
            for m in ports::to_mappings(&ports::decode(&e.ports), ip) {
                expected.insert((m.host_ip, m.host_port, m.container_ip, m.container_port));
            }
        }
        let installed = match Firewall::open() {
            // Read, and the lock let go at once: each repair below takes it again.
            Ok(mut fw) => fw.installed().map_err(net_err)?,
            // No libnftables: nothing of berth's can be in the firewall either.
            Err(_) => return Ok(()),
        };
        for m in installed.ports {
            if !subnets.iter().any(|s| s.contains(&m.container_ip))
                || expected.contains(&(m.host_ip, m.host_port, m.container_ip, m.container_port))
            {
                continue;
            }
            report.outcome(
                format!(
                    "published port {} → {}:{} of no running container",
                    m.host_port, m.container_ip, m.container_port
                ),
                "removed",
                repair,
                || {
                    Firewall::open()
                        .and_then(|mut fw| fw.unpublish(&[m]))
                        .map_err(net_err)
                },
            );
        }
        Ok(())
    }
}

/// How long a veth of no container may take to go with its namespace before it counts
/// as left behind: the kernel's teardown takes tens of milliseconds, more under load.
const TEARDOWN_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Whether the link `name` disappears within `limit`.
fn vanishes(nl: &mut Netlink, name: &str, limit: std::time::Duration) -> bool {
    let deadline = std::time::Instant::now() + limit;
    loop {
        match nl.link_by_name(name) {
            Ok(None) => return true,
            Ok(Some(_)) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            _ => return false,
        }
    }
}
