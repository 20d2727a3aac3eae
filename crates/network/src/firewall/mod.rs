//! berth's own nftables table (`table ip berth`): masquerade for the networks' outbound
//! traffic, DNAT for published ports (from outside, from the host itself including
//! 127.0.0.1, and hairpin from containers), isolation between networks.
//!
//! berth never touches another table or chain and never flushes anything but its own
//! table. The chains are fixed (see [`ruleset::TABLE_SCRIPT`]); networks and published
//! ports are elements of sets and maps, added and deleted one by one.

mod list;
mod nft;
pub mod ruleset;

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

pub use list::Installed;

/// A firewall operation failed.
#[derive(Debug, thiserror::Error)]
pub enum FirewallError {
    /// libnftables could not be loaded.
    #[error("nftables is not available (libnftables.so.1, from the nftables package): {0}")]
    Unavailable(String),
    /// nftables refused a command.
    #[error("nftables: {message} (while running: {command})")]
    Nft {
        /// The commands sent.
        command: String,
        /// libnftables' error text.
        message: String,
    },
    /// A published port is already mapped (Docker's wording).
    #[error("Bind for {host}:{port} failed: port is already allocated")]
    PortAllocated {
        /// Host address, `0.0.0.0` for all.
        host: Ipv4Addr,
        /// Host port.
        port: u16,
    },
    /// The table listing could not be understood.
    #[error("unexpected nftables listing: {0}")]
    Decode(String),
    /// The host-wide firewall lock could not be taken.
    #[error("take the firewall lock {0}")]
    Lock(String),
}

/// Transport protocol of a published port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Proto {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

/// One published port: `host_ip:host_port -> container_ip:container_port`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PortMapping {
    /// Protocol.
    pub proto: Proto,
    /// Host address the port is published on; `None` (or 0.0.0.0) for every address.
    pub host_ip: Option<Ipv4Addr>,
    /// Host port.
    pub host_port: u16,
    /// The container's address.
    pub container_ip: Ipv4Addr,
    /// The container's port.
    pub container_port: u16,
}

fn is_exists(e: &FirewallError) -> bool {
    matches!(e, FirewallError::Nft { message, .. } if message.contains("File exists"))
}

fn is_missing(e: &FirewallError) -> bool {
    matches!(e, FirewallError::Nft { message, .. } if message.contains("No such file or directory") || message.contains("does not exist"))
}

/// The host-wide lock every berth process holds while it changes the table: a table
/// deleted once empty must not take with it what another berth adds at that moment.
pub const LOCK_PATH: &str = "/run/berth-firewall.lock";

/// A connection to nftables in the calling thread's network namespace, holding
/// [`LOCK_PATH`] until dropped.
pub struct Firewall {
    nft: nft::Nft,
    _lock: nix::fcntl::Flock<std::fs::File>,
}

impl Firewall {
    /// Loads libnftables, opens a context and takes the firewall lock (waiting for
    /// another berth's short operation to end).
    pub fn open() -> Result<Self, FirewallError> {
        let lock_err = |e: String| FirewallError::Lock(format!("{LOCK_PATH}: {e}"));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(LOCK_PATH)
            .map_err(|e| lock_err(e.to_string()))?;
        let lock = nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive)
            .map_err(|(_, e)| lock_err(e.to_string()))?;
        Ok(Self {
            nft: nft::Nft::new()?,
            _lock: lock,
        })
    }

    /// Deletes berth's table once nothing is left in it (no network, no published
    /// port), so a host with no berth network carries no berth rules.
    fn drop_table_if_empty(&mut self) -> Result<(), FirewallError> {
        if self.table_exists()? && self.installed()?.is_empty() {
            self.remove_all()?;
        }
        Ok(())
    }

    /// Creates berth's table unless it exists. Safe against a concurrent berth doing the
    /// same: the creation is one transaction that fails as a whole if the table appeared.
    pub fn ensure_table(&mut self) -> Result<(), FirewallError> {
        if self.table_exists()? {
            return Ok(());
        }
        match self.nft.run(ruleset::TABLE_SCRIPT) {
            Ok(_) => Ok(()),
            Err(e) if is_exists(&e) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Whether berth's table exists.
    pub fn table_exists(&mut self) -> Result<bool, FirewallError> {
        match self.nft.run(&format!("list table {} ", ruleset::TABLE)) {
            Ok(_) => Ok(true),
            Err(e) if is_missing(&e) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Adds a network's bridge and subnet (masquerade, isolation, hairpin).
    pub fn add_network(&mut self, bridge: &str, subnet: Ipv4Net) -> Result<(), FirewallError> {
        self.ensure_table()?;
        match self
            .nft
            .run(&ruleset::network_elements("add", bridge, subnet))
        {
            Err(e) if is_exists(&e) => Ok(()),
            r => r.map(drop),
        }
    }

    /// Marks a network internal: nothing is forwarded into or out of its bridge (its
    /// containers still reach each other across the bridge).
    pub fn add_internal(&mut self, bridge: &str) -> Result<(), FirewallError> {
        self.ensure_table()?;
        match self.nft.run(&ruleset::internal_element("add", bridge)) {
            Err(e) if is_exists(&e) => Ok(()),
            r => r.map(drop),
        }
    }

    /// Removes a network's elements (its internal mark included); those already gone are
    /// skipped. The table goes with the last of them.
    pub fn remove_network(&mut self, bridge: &str, subnet: Ipv4Net) -> Result<(), FirewallError> {
        self.remove_network_elements(bridge, subnet)?;
        match self.nft.run(&ruleset::internal_element("delete", bridge)) {
            Err(e) if !is_missing(&e) => return Err(e),
            _ => {}
        }
        self.drop_table_if_empty()
    }

    fn remove_network_elements(
        &mut self,
        bridge: &str,
        subnet: Ipv4Net,
    ) -> Result<(), FirewallError> {
        if !self.table_exists()? {
            return Ok(());
        }
        let script = ruleset::network_elements("delete", bridge, subnet);
        match self.nft.run(&script) {
            Ok(_) => Ok(()),
            Err(e) if is_missing(&e) => {
                // Some were already gone: delete the others one by one.
                for line in script.lines() {
                    match self.nft.run(line) {
                        Err(e) if !is_missing(&e) => return Err(e),
                        _ => {}
                    }
                }
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Publishes ports, all or none. A port already mapped gives Docker's "port is
    /// already allocated" error.
    pub fn publish(&mut self, ports: &[PortMapping]) -> Result<(), FirewallError> {
        if ports.is_empty() {
            return Ok(());
        }
        self.ensure_table()?;
        match self.nft.run(&ruleset::publish(ports)) {
            Ok(_) => Ok(()),
            Err(e) if is_exists(&e) => {
                let installed = self.installed()?;
                let taken = ports.iter().find(|p| {
                    installed.ports.iter().any(|q| {
                        q.proto == p.proto
                            && q.host_port == p.host_port
                            && q.host_ip.unwrap_or(Ipv4Addr::UNSPECIFIED)
                                == p.host_ip.unwrap_or(Ipv4Addr::UNSPECIFIED)
                    })
                });
                match taken {
                    Some(p) => Err(FirewallError::PortAllocated {
                        host: p.host_ip.unwrap_or(Ipv4Addr::UNSPECIFIED),
                        port: p.host_port,
                    }),
                    None => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Removes published ports; those already gone are skipped. The table goes with
    /// the last of its elements.
    pub fn unpublish(&mut self, ports: &[PortMapping]) -> Result<(), FirewallError> {
        if ports.is_empty() {
            return Ok(());
        }
        self.unpublish_elements(ports)?;
        self.drop_table_if_empty()
    }

    fn unpublish_elements(&mut self, ports: &[PortMapping]) -> Result<(), FirewallError> {
        if ports.is_empty() || !self.table_exists()? {
            return Ok(());
        }
        let script: String = ports.iter().map(ruleset::unpublish_one).collect();
        match self.nft.run(&script) {
            Ok(_) => Ok(()),
            Err(e) if is_missing(&e) => {
                for p in ports {
                    match self.nft.run(&ruleset::unpublish_one(p)) {
                        Err(e) if !is_missing(&e) => return Err(e),
                        _ => {}
                    }
                }
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// What berth's table holds (empty when there is no table), for leak checks.
    pub fn installed(&mut self) -> Result<Installed, FirewallError> {
        if !self.table_exists()? {
            return Ok(Installed::default());
        }
        self.nft.set_output_flags(nft::OUTPUT_JSON);
        let out = self.nft.run(&format!("list table {}", ruleset::TABLE));
        self.nft.set_output_flags(0);
        list::parse(&out?)
    }

    /// Deletes berth's table and everything in it; `Ok(false)` if there was none.
    pub fn remove_all(&mut self) -> Result<bool, FirewallError> {
        match self.nft.run(&format!("delete table {}", ruleset::TABLE)) {
            Ok(_) => Ok(true),
            Err(e) if is_missing(&e) => Ok(false),
            Err(e) => Err(e),
        }
    }
}
