//! Rows of the `networks` and `endpoints` tables: berth's networks and the addresses the
//! running containers hold on them. `UNIQUE (network_id, ip)` makes a double allocation
//! impossible even between two processes.

use std::collections::BTreeMap;

use rusqlite::{params, OptionalExtension, Row};

use super::Db;
use crate::error::{EngineError, Result};

/// One network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkRecord {
    /// 64 hex digits.
    pub id: String,
    pub name: String,
    /// `bridge`, `host` or `null`.
    pub driver: String,
    /// IPv4 subnet (`10.1.0.0/24`); empty for `host` and `null`.
    pub subnet: String,
    pub gateway: String,
    /// `--ip-range`, empty for the whole subnet.
    pub ip_range: String,
    /// The bridge device (`berth0`, `br-<12 hex>`); empty for `host` and `null`.
    pub bridge: String,
    /// `-o` driver options.
    pub options: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
    /// RFC 3339.
    pub created: String,
    pub internal: bool,
}

/// One container's attachment to one network (while it runs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointRecord {
    pub container_id: String,
    pub network_id: String,
    /// 64 hex digits.
    pub endpoint_id: String,
    pub ip: String,
    pub mac: String,
    pub aliases: Vec<String>,
    /// Published ports as installed, JSON (see `networks::ports`).
    pub ports: String,
}

const NET_COLS: &str =
    "id, name, driver, subnet, gateway, ip_range, bridge, options, labels, created, internal";
const EP_COLS: &str = "container_id, network_id, endpoint_id, ip, mac, aliases, ports";

fn corrupt(path: &std::path::Path, what: String) -> EngineError {
    EngineError::DbCorrupt {
        path: path.to_path_buf(),
        reason: what,
    }
}

fn net_row(path: &std::path::Path, r: &Row<'_>) -> rusqlite::Result<Result<NetworkRecord>> {
    let id: String = r.get(0)?;
    let options: String = r.get(7)?;
    let labels: String = r.get(8)?;
    let parse = |what: &str, s: &str| -> Result<BTreeMap<String, String>> {
        serde_json::from_str(s).map_err(|e| corrupt(path, format!("network {id}: {what}: {e}")))
    };
    let (options, labels) = match (parse("options", &options), parse("labels", &labels)) {
        (Ok(o), Ok(l)) => (o, l),
        (Err(e), _) | (_, Err(e)) => return Ok(Err(e)),
    };
    Ok(Ok(NetworkRecord {
        name: r.get(1)?,
        driver: r.get(2)?,
        subnet: r.get(3)?,
        gateway: r.get(4)?,
        ip_range: r.get(5)?,
        bridge: r.get(6)?,
        options,
        labels,
        created: r.get(9)?,
        internal: r.get(10)?,
        id,
    }))
}

fn ep_row(path: &std::path::Path, r: &Row<'_>) -> rusqlite::Result<Result<EndpointRecord>> {
    let aliases: String = r.get(5)?;
    let container_id: String = r.get(0)?;
    let aliases = match serde_json::from_str(&aliases) {
        Ok(a) => a,
        Err(e) => {
            return Ok(Err(corrupt(
                path,
                format!("endpoint of {container_id}: aliases: {e}"),
            )))
        }
    };
    Ok(Ok(EndpointRecord {
        network_id: r.get(1)?,
        endpoint_id: r.get(2)?,
        ip: r.get(3)?,
        mac: r.get(4)?,
        aliases,
        ports: r.get(6)?,
        container_id,
    }))
}

impl Db {
    /// Rows of `sql` (`?1` bound to `arg` when it has one), each made by `row`.
    fn query_rows<T>(
        &self,
        sql: &str,
        arg: &str,
        row: fn(&std::path::Path, &Row<'_>) -> rusqlite::Result<Result<T>>,
    ) -> Result<Vec<T>> {
        let mut st = self.conn.prepare_cached(sql).map_err(|e| self.err(e))?;
        let args: Vec<&str> = if sql.contains("?1") {
            vec![arg]
        } else {
            Vec::new()
        };
        let rows = st
            .query_map(rusqlite::params_from_iter(args), |r| row(&self.path, r))
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for r in rows {
            out.push(r.map_err(|e| self.err(e))??);
        }
        Ok(out)
    }

    fn query_networks(&self, clause: &str, arg: &str) -> Result<Vec<NetworkRecord>> {
        self.query_rows(
            &format!("SELECT {NET_COLS} FROM networks {clause}"),
            arg,
            net_row,
        )
    }

    /// Every network, by name.
    pub fn networks(&self) -> Result<Vec<NetworkRecord>> {
        self.query_networks("ORDER BY name", "")
    }

    /// The network with this full id or name.
    pub fn network(&self, id_or_name: &str) -> Result<Option<NetworkRecord>> {
        let mut v = self.query_networks(
            "WHERE id = ?1 OR name = ?1 ORDER BY id = ?1 DESC",
            id_or_name,
        )?;
        Ok(if v.is_empty() {
            None
        } else {
            Some(v.remove(0))
        })
    }

    /// Networks whose id starts with `prefix`.
    pub fn networks_with_prefix(&self, prefix: &str) -> Result<Vec<NetworkRecord>> {
        let pattern = format!("{}%", prefix.replace(['%', '_'], ""));
        self.query_networks("WHERE id LIKE ?1", &pattern)
    }

    /// Records a network; `false` when the name is taken (nothing written).
    pub fn insert_network(&mut self, n: &NetworkRecord) -> Result<bool> {
        let rows = self
            .conn
            .execute(
                &format!(
                    "INSERT OR IGNORE INTO networks ({NET_COLS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)"
                ),
                params![
                    n.id,
                    n.name,
                    n.driver,
                    n.subnet,
                    n.gateway,
                    n.ip_range,
                    n.bridge,
                    serde_json::to_string(&n.options).unwrap_or_default(),
                    serde_json::to_string(&n.labels).unwrap_or_default(),
                    n.created,
                    n.internal
                ],
            )
            .map_err(|e| self.err(e))?;
        Ok(rows == 1)
    }

    /// Forgets a network (the caller checked it has no endpoints).
    pub fn delete_network(&mut self, id: &str) -> Result<()> {
        self.conn
            .execute("DELETE FROM networks WHERE id = ?1", [id])
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    fn query_endpoints(&self, clause: &str, arg: &str) -> Result<Vec<EndpointRecord>> {
        self.query_rows(
            &format!("SELECT {EP_COLS} FROM endpoints {clause}"),
            arg,
            ep_row,
        )
    }

    /// Every endpoint.
    pub fn endpoints(&self) -> Result<Vec<EndpointRecord>> {
        self.query_endpoints("", "")
    }

    /// The endpoints of a container.
    pub fn container_endpoints(&self, container_id: &str) -> Result<Vec<EndpointRecord>> {
        self.query_endpoints("WHERE container_id = ?1", container_id)
    }

    /// The endpoints on a network.
    pub fn network_endpoints(&self, network_id: &str) -> Result<Vec<EndpointRecord>> {
        self.query_endpoints("WHERE network_id = ?1", network_id)
    }

    /// Records an endpoint; `false` when its address is already taken on that network
    /// (the unique index decides, so two processes never get the same address).
    pub fn insert_endpoint(&mut self, e: &EndpointRecord) -> Result<bool> {
        let rows = self
            .conn
            .execute(
                &format!(
                    "INSERT OR IGNORE INTO endpoints ({EP_COLS}) VALUES (?1,?2,?3,?4,?5,?6,?7)"
                ),
                params![
                    e.container_id,
                    e.network_id,
                    e.endpoint_id,
                    e.ip,
                    e.mac,
                    serde_json::to_string(&e.aliases).unwrap_or_default(),
                    e.ports
                ],
            )
            .map_err(|e| self.err(e))?;
        Ok(rows == 1)
    }

    /// Records the ports an endpoint published.
    pub fn set_endpoint_ports(
        &mut self,
        container_id: &str,
        network_id: &str,
        ports: &str,
    ) -> Result<()> {
        self.conn
            .execute(
                "UPDATE endpoints SET ports = ?3 WHERE container_id = ?1 AND network_id = ?2",
                params![container_id, network_id, ports],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Releases an endpoint's address.
    pub fn delete_endpoint(&mut self, container_id: &str, network_id: &str) -> Result<()> {
        self.conn
            .execute(
                "DELETE FROM endpoints WHERE container_id = ?1 AND network_id = ?2",
                params![container_id, network_id],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Whether a network row exists with this bridge device.
    pub fn network_by_bridge(&self, bridge: &str) -> Result<Option<NetworkRecord>> {
        let r = self
            .conn
            .query_row(
                &format!("SELECT {NET_COLS} FROM networks WHERE bridge = ?1 AND bridge != ''"),
                [bridge],
                |r| net_row(&self.path, r),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        r.transpose()
    }
}

/// A container's settings on one network (`--ip`, `--network-alias`, `network connect`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndpointConfig {
    pub network_id: String,
    /// Empty: the first free address.
    pub ipv4: String,
    pub aliases: Vec<String>,
}

impl Db {
    /// Records a container's settings on a network (replacing earlier ones).
    pub fn set_endpoint_config(&mut self, container_id: &str, c: &EndpointConfig) -> Result<()> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO endpoint_configs (container_id, network_id, ipv4, aliases) \
                 VALUES (?1,?2,?3,?4)",
                params![
                    container_id,
                    c.network_id,
                    c.ipv4,
                    serde_json::to_string(&c.aliases).unwrap_or_default()
                ],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// A container's settings on every network it has them for, in the order recorded.
    pub fn endpoint_configs(&self, container_id: &str) -> Result<Vec<EndpointConfig>> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT network_id, ipv4, aliases FROM endpoint_configs WHERE container_id = ?1 \
                 ORDER BY rowid",
            )
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([container_id], |r| {
                let aliases: String = r.get(2)?;
                Ok(EndpointConfig {
                    network_id: r.get(0)?,
                    ipv4: r.get(1)?,
                    aliases: serde_json::from_str(&aliases).unwrap_or_default(),
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(|e| self.err(e))
    }

    /// Forgets a container's settings on a network (`network disconnect`).
    pub fn delete_endpoint_config(&mut self, container_id: &str, network_id: &str) -> Result<()> {
        self.conn
            .execute(
                "DELETE FROM endpoint_configs WHERE container_id = ?1 AND network_id = ?2",
                params![container_id, network_id],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Forgets every container's settings on a network (`network rm`).
    pub fn delete_network_configs(&mut self, network_id: &str) -> Result<()> {
        self.conn
            .execute(
                "DELETE FROM endpoint_configs WHERE network_id = ?1",
                [network_id],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }
}
