//! Each running container's `/etc/hosts`: Docker's own lines, its address, and (as
//! before the embedded DNS server of issue #6 existed; Docker lists none) every other
//! running container sharing a user-defined network with it (`IP\tname alias…
//! shortid`). Files are rewritten in place (same inode), so the bind mount inside a
//! running container sees the change. The default `bridge` network gets no names, as in
//! Docker. Each write also rewrites the container's DNS records ([`super::dns`]), which
//! its monitor's DNS server answers from.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use crate::containers::names;
use crate::error::{EngineError, Result};
use crate::Engine;

impl Engine {
    /// Rewrites the hosts files of every container on these networks.
    pub(crate) fn refresh_peer_hosts(&self, network_ids: &[String]) {
        let mut ids = BTreeSet::new();
        for nid in network_ids {
            for e in self.db().network_endpoints(nid).unwrap_or_default() {
                ids.insert(e.container_id);
            }
        }
        for id in ids {
            if let Err(e) = self.write_hosts_for(&id) {
                tracing::warn!("update /etc/hosts of {id}: {e}");
            }
        }
    }

    /// Writes one container's hosts file: its own address (first network) and its peers.
    pub(crate) fn write_hosts_for(&self, id: &str) -> Result<()> {
        let Some(c) = self.db().container(id)? else {
            return Ok(());
        };
        let eps = self.db().container_endpoints(id)?;
        let nets = self.container_networks(&c)?;
        let own: Option<Ipv4Addr> = nets
            .first()
            .and_then(|(n, _)| eps.iter().find(|e| e.network_id == n.id))
            .and_then(|e| e.ip.parse().ok());
        let mut text = crate::containers::spec::etc_files::hosts_file_with_address(
            &c.config.hostname,
            &c.config.domainname,
            own.map(std::net::IpAddr::V4),
            &c.host_config.extra_hosts,
        );
        let mut seen = BTreeSet::new();
        for (n, _) in &nets {
            if n.name == "bridge" || !eps.iter().any(|e| e.network_id == n.id) {
                continue;
            }
            for peer in self.db().network_endpoints(&n.id)? {
                if peer.container_id == id
                    || !seen.insert((peer.ip.clone(), peer.container_id.clone()))
                {
                    continue;
                }
                let Some(pc) = self.db().container(&peer.container_id)? else {
                    continue;
                };
                let mut words = vec![pc.name.clone()];
                for a in &peer.aliases {
                    if !words.contains(a) {
                        words.push(a.clone());
                    }
                }
                let short = names::short(&pc.id).to_string();
                if !words.contains(&short) {
                    words.push(short);
                }
                text.push_str(&format!("{}\t{}\n", peer.ip, words.join(" ")));
            }
        }
        let p = self.root().container_dir(id).join("hosts");
        std::fs::write(&p, text).map_err(|e| EngineError::io("write", &p, e))?;
        // (A records file already there is rewritten even when the last user-defined
        // network went: its running DNS server must forget the names.)
        let records = super::dns::records_path(self.root(), id);
        if self.on_user_network(&c)? || records.exists() {
            self.write_dns_records_for(&c)?;
        }
        Ok(())
    }
}
