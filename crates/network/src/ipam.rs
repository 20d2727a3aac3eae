//! The subnet pool and address allocation, as pure functions over what is already taken.
//!
//! Subnets come from Docker's default address pools (172.17.0.0/16, then 172.18–172.31 in
//! /16 steps, then 192.168.0.0/16 in /20 steps), skipping any that overlap a route or an
//! address already on the host (read with [`crate::netlink`]) or another berth network.
//! Addresses inside a subnet are handed out first-free, skipping the network address, the
//! gateway and the broadcast address. Error texts are Docker's.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use ipnet::{IpNet, Ipv4Net};

use crate::netlink::{Address, Route};

/// A bad subnet, range, gateway or address, or an exhausted pool.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IpamError {
    /// `--subnet`/`--ip-range`/`--gateway` failed Docker's validation; one line per problem.
    #[error("invalid network config:\n{}", .0.join("\n"))]
    InvalidConfig(Vec<String>),
    /// `--gateway` or `--ip-range` given without `--subnet`.
    #[error("every ip-range or gateway must have a corresponding subnet")]
    MissingSubnet,
    /// The requested subnet overlaps another berth network's.
    #[error("Pool overlaps with other one on this address space")]
    PoolOverlap,
    /// Every subnet of the pools is taken.
    #[error("could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network")]
    NoPool,
    /// Every address of the subnet (or range) is allocated.
    #[error("no available addresses on this pool")]
    NoAddress,
    /// `--ip` outside the network's subnet.
    #[error("no configured subnet or ip-range contain the IP address {0}")]
    NotInSubnet(Ipv4Addr),
    /// `--ip` already allocated, or reserved (gateway, network, broadcast).
    #[error("Address already in use")]
    InUse,
    /// `--ip` that is not an IPv4 address.
    #[error("invalid IPv4 address: {0}")]
    BadAddress(String),
}

/// One entry of the default address pools: split `base` into subnets of `size` bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pool {
    /// The range the subnets are cut from.
    pub base: Ipv4Net,
    /// Prefix length of each subnet.
    pub size: u8,
}

fn net(a: u8, b: u8, len: u8) -> Ipv4Net {
    // Prefix lengths here are constants <= 32.
    Ipv4Net::new(Ipv4Addr::new(a, b, 0, 0), len).unwrap_or_default()
}

/// Docker's default address pools (moby `libnetwork/ipamutils`).
pub fn default_pools() -> Vec<Pool> {
    vec![
        Pool {
            base: net(172, 17, 16),
            size: 16,
        },
        Pool {
            base: net(172, 18, 16),
            size: 16,
        },
        Pool {
            base: net(172, 19, 16),
            size: 16,
        },
        Pool {
            base: net(172, 20, 14),
            size: 16,
        },
        Pool {
            base: net(172, 24, 14),
            size: 16,
        },
        Pool {
            base: net(172, 28, 14),
            size: 16,
        },
        Pool {
            base: net(192, 168, 16),
            size: 20,
        },
    ]
}

/// What the host already uses: destinations of its non-default routes and the subnets of
/// its addresses (IPv4 only; loopback included, which never matters for the pools).
pub fn host_taken(routes: &[Route], addresses: &[Address]) -> Vec<Ipv4Net> {
    let mut out = Vec::new();
    for r in routes {
        if let IpNet::V4(n) = r.destination {
            if n.prefix_len() > 0 {
                out.push(n.trunc());
            }
        }
    }
    for a in addresses {
        if let IpNet::V4(n) = a.net {
            out.push(n.trunc());
        }
    }
    out
}

fn overlaps(a: &Ipv4Net, b: &Ipv4Net) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// The first subnet of `pools` overlapping nothing in `taken` (host routes and addresses,
/// other berth networks).
pub fn pick_subnet(pools: &[Pool], taken: &[Ipv4Net]) -> Result<Ipv4Net, IpamError> {
    for pool in pools {
        let Ok(subnets) = pool.base.subnets(pool.size) else {
            continue;
        };
        for subnet in subnets {
            if !taken.iter().any(|t| overlaps(t, &subnet)) {
                return Ok(subnet);
            }
        }
    }
    Err(IpamError::NoPool)
}

/// A network's IPv4 addressing: subnet, optional allocation range, gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubnetConfig {
    /// The network's subnet.
    pub subnet: Ipv4Net,
    /// Where container addresses are allocated from (`--ip-range`); the subnet if `None`.
    pub ip_range: Option<Ipv4Net>,
    /// The bridge's address.
    pub gateway: Ipv4Addr,
}

impl SubnetConfig {
    /// A subnet picked from the pools, gateway on its first address.
    pub fn automatic(subnet: Ipv4Net) -> Self {
        Self {
            subnet,
            ip_range: None,
            gateway: first_host(&subnet),
        }
    }

    /// Validates `--subnet`, `--ip-range` and `--gateway` as Docker does; `Ok(None)` when
    /// none was given (the subnet then comes from [`pick_subnet`]). `others` are the
    /// subnets of the existing berth networks.
    pub fn from_flags(
        subnet: Option<&str>,
        ip_range: Option<&str>,
        gateway: Option<&str>,
        others: &[Ipv4Net],
    ) -> Result<Option<Self>, IpamError> {
        let Some(subnet_s) = subnet else {
            if ip_range.is_some() || gateway.is_some() {
                return Err(IpamError::MissingSubnet);
            }
            return Ok(None);
        };
        let mut errs = Vec::new();
        let Ok(subnet) = subnet_s.parse::<Ipv4Net>() else {
            return Err(IpamError::InvalidConfig(vec![format!(
                "invalid subnet {subnet_s}: invalid CIDR block notation"
            )]));
        };
        if subnet != subnet.trunc() {
            errs.push(format!(
                "invalid subnet {subnet}: it should be {}",
                subnet.trunc()
            ));
        }
        let mut range = None;
        if let Some(r) = ip_range {
            match r.parse::<Ipv4Net>() {
                Err(_) => errs.push(format!("invalid ip-range {r}: invalid CIDR block notation")),
                Ok(p) => {
                    if p.prefix_len() < subnet.prefix_len() {
                        errs.push(format!(
                            "invalid ip-range {r}: CIDR block is bigger than its parent subnet {subnet}"
                        ));
                    }
                    if p != p.trunc() {
                        errs.push(format!("invalid ip-range {p}: it should be {}", p.trunc()));
                    }
                    if !overlaps(&subnet.trunc(), &p.trunc()) {
                        errs.push(format!(
                            "invalid ip-range {r}: parent subnet {subnet} doesn't contain ip-range"
                        ));
                    }
                    range = Some(p.trunc());
                }
            }
        }
        let mut gw = first_host(&subnet.trunc());
        if let Some(g) = gateway {
            match g.parse::<Ipv4Addr>() {
                Err(_) => errs.push(format!("invalid gateway {g}: invalid address")),
                Ok(a) if !subnet.contains(&a) => errs.push(format!(
                    "invalid gateway {g}: parent subnet {subnet} doesn't contain this address"
                )),
                Ok(a) => gw = a,
            }
        }
        if !errs.is_empty() {
            return Err(IpamError::InvalidConfig(errs));
        }
        let subnet = subnet.trunc();
        if others.iter().any(|o| overlaps(o, &subnet)) {
            return Err(IpamError::PoolOverlap);
        }
        Ok(Some(Self {
            subnet,
            ip_range: range,
            gateway: gw,
        }))
    }

    fn reserved(&self, ip: Ipv4Addr) -> bool {
        ip == self.gateway
            || (self.subnet.prefix_len() < 31
                && (ip == self.subnet.network() || ip == self.subnet.broadcast()))
    }

    /// The first free address of the range (or subnet), skipping reserved ones and `used`.
    pub fn allocate(&self, used: &BTreeSet<Ipv4Addr>) -> Result<Ipv4Addr, IpamError> {
        let range = self.ip_range.unwrap_or(self.subnet);
        let start = u32::from(range.network());
        let end = u32::from(range.broadcast());
        (start..=end)
            .map(Ipv4Addr::from)
            .find(|ip| self.subnet.contains(ip) && !self.reserved(*ip) && !used.contains(ip))
            .ok_or(IpamError::NoAddress)
    }

    /// Checks a user-chosen address (`--ip`): inside the subnet, not reserved, not taken.
    pub fn request(&self, ip: &str, used: &BTreeSet<Ipv4Addr>) -> Result<Ipv4Addr, IpamError> {
        let addr: Ipv4Addr = ip
            .parse()
            .map_err(|_| IpamError::BadAddress(ip.to_string()))?;
        if !self.subnet.contains(&addr) {
            return Err(IpamError::NotInSubnet(addr));
        }
        if self.reserved(addr) || used.contains(&addr) {
            return Err(IpamError::InUse);
        }
        Ok(addr)
    }

    /// `ip` with the subnet's prefix length, as it goes on the container's interface.
    pub fn with_prefix(&self, ip: Ipv4Addr) -> Ipv4Net {
        Ipv4Net::new(ip, self.subnet.prefix_len()).unwrap_or_default()
    }
}

fn first_host(subnet: &Ipv4Net) -> Ipv4Addr {
    if subnet.prefix_len() >= 31 {
        subnet.network()
    } else {
        Ipv4Addr::from(u32::from(subnet.network()).wrapping_add(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Ipv4Net {
        s.parse().unwrap()
    }

    #[test]
    fn pools_start_at_docker0_and_end_in_192_168() {
        let pools = default_pools();
        assert_eq!(pick_subnet(&pools, &[]).unwrap(), n("172.17.0.0/16"));
        let taken: Vec<Ipv4Net> = (17..=31).map(|b| n(&format!("172.{b}.0.0/16"))).collect();
        assert_eq!(pick_subnet(&pools, &taken).unwrap(), n("192.168.0.0/20"));
    }

    #[test]
    fn a_subnet_overlapping_a_host_route_is_skipped() {
        let routes = vec![
            Route {
                destination: "0.0.0.0/0".parse().unwrap(),
                gateway: None,
                oif: Some(2),
            },
            Route {
                destination: "172.17.5.0/24".parse().unwrap(),
                gateway: None,
                oif: Some(2),
            },
        ];
        let addrs = vec![Address {
            index: 3,
            net: "172.18.3.4/8".parse().unwrap(),
        }];
        let taken = host_taken(&routes, &addrs);
        // The default route takes nothing; the /24 takes 172.17/16; the /8 address takes
        // every 172.x subnet.
        assert_eq!(
            pick_subnet(&default_pools(), &taken).unwrap(),
            n("192.168.0.0/20")
        );
        let taken = host_taken(&routes[..2], &[]);
        assert_eq!(
            pick_subnet(&default_pools(), &taken).unwrap(),
            n("172.18.0.0/16")
        );
    }

    #[test]
    fn exhausted_pools_say_so() {
        let err = pick_subnet(&default_pools(), &[n("0.0.0.0/1"), n("128.0.0.0/1")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network"
        );
    }

    #[test]
    fn flags_are_validated_with_dockers_words() {
        assert_eq!(
            SubnetConfig::from_flags(None, None, None, &[]).unwrap(),
            None
        );
        assert_eq!(
            SubnetConfig::from_flags(None, None, Some("10.0.0.1"), &[])
                .unwrap_err()
                .to_string(),
            "every ip-range or gateway must have a corresponding subnet"
        );
        assert_eq!(
            SubnetConfig::from_flags(Some("foo"), None, None, &[])
                .unwrap_err()
                .to_string(),
            "invalid network config:\ninvalid subnet foo: invalid CIDR block notation"
        );
        assert_eq!(
            SubnetConfig::from_flags(Some("10.1.2.3/16"), None, Some("10.2.0.1"), &[])
                .unwrap_err()
                .to_string(),
            "invalid network config:\ninvalid subnet 10.1.2.3/16: it should be 10.1.0.0/16\n\
             invalid gateway 10.2.0.1: parent subnet 10.1.2.3/16 doesn't contain this address"
        );
        assert_eq!(
            SubnetConfig::from_flags(Some("10.1.0.0/16"), Some("10.9.0.0/24"), None, &[])
                .unwrap_err()
                .to_string(),
            "invalid network config:\ninvalid ip-range 10.9.0.0/24: parent subnet 10.1.0.0/16 doesn't contain ip-range"
        );
        assert_eq!(
            SubnetConfig::from_flags(Some("10.1.0.0/24"), None, None, &[n("10.1.0.0/16")])
                .unwrap_err()
                .to_string(),
            "Pool overlaps with other one on this address space"
        );
        let cfg = SubnetConfig::from_flags(
            Some("10.1.0.0/16"),
            Some("10.1.4.0/24"),
            Some("10.1.0.254"),
            &[],
        )
        .unwrap()
        .unwrap();
        assert_eq!(cfg.gateway, Ipv4Addr::new(10, 1, 0, 254));
        assert_eq!(cfg.ip_range, Some(n("10.1.4.0/24")));
    }

    #[test]
    fn allocation_skips_network_gateway_broadcast_and_used() {
        let cfg = SubnetConfig::automatic(n("10.5.0.0/30"));
        assert_eq!(cfg.gateway, Ipv4Addr::new(10, 5, 0, 1));
        let mut used = BTreeSet::new();
        let a = cfg.allocate(&used).unwrap();
        assert_eq!(a, Ipv4Addr::new(10, 5, 0, 2));
        used.insert(a);
        assert_eq!(cfg.allocate(&used), Err(IpamError::NoAddress));
        assert_eq!(cfg.with_prefix(a).to_string(), "10.5.0.2/30");
    }

    #[test]
    fn allocation_stays_in_the_ip_range() {
        let cfg = SubnetConfig::from_flags(Some("10.6.0.0/16"), Some("10.6.8.0/24"), None, &[])
            .unwrap()
            .unwrap();
        assert_eq!(
            cfg.allocate(&BTreeSet::new()).unwrap(),
            Ipv4Addr::new(10, 6, 8, 0)
        );
    }

    #[test]
    fn requested_addresses_are_checked() {
        let cfg = SubnetConfig::automatic(n("10.7.0.0/24"));
        let used: BTreeSet<_> = [Ipv4Addr::new(10, 7, 0, 9)].into();
        assert_eq!(
            cfg.request("10.7.0.10", &used).unwrap(),
            Ipv4Addr::new(10, 7, 0, 10)
        );
        assert_eq!(cfg.request("10.7.0.9", &used), Err(IpamError::InUse));
        assert_eq!(cfg.request("10.7.0.1", &used), Err(IpamError::InUse));
        assert_eq!(
            cfg.request("10.8.0.1", &used).unwrap_err().to_string(),
            "no configured subnet or ip-range contain the IP address 10.8.0.1"
        );
        assert!(matches!(
            cfg.request("x", &used),
            Err(IpamError::BadAddress(_))
        ));
    }
}
