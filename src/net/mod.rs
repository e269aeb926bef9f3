//! CIDR arithmetic for pod-network planning: parsing, overlap, containment, address classes and
//! Cilium cluster-pool capacity. Pure functions, no I/O, so every rule is testable in isolation.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

pub use ipnet::{IpNet, Ipv4Net, Ipv6Net};

/// A CIDR as the user wrote it, parsed. Host bits must be zero: `10.0.0.1/24` is rejected
/// because Cilium and EKS both reject it, and a silent truncation would hide a typo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cidr {
    V4(Ipv4Net),
    V6(Ipv6Net),
}

/// Why a CIDR string was rejected; the message says what a valid one looks like.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CidrError {
    #[error("`{0}` is not a CIDR (expected an address and prefix length, e.g. 10.100.0.0/16)")]
    Syntax(String),
    #[error("`{input}` has host bits set; the network address is {network}")]
    HostBits { input: String, network: String },
}

impl FromStr for Cidr {
    type Err = CidrError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let net: IpNet = t.parse().map_err(|_| CidrError::Syntax(s.to_string()))?;
        if net.trunc() != net {
            return Err(CidrError::HostBits {
                input: t.to_string(),
                network: net.trunc().to_string(),
            });
        }
        Ok(match net {
            IpNet::V4(n) => Cidr::V4(n),
            IpNet::V6(n) => Cidr::V6(n),
        })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cidr::V4(n) => n.fmt(f),
            Cidr::V6(n) => n.fmt(f),
        }
    }
}

impl Cidr {
    pub fn prefix_len(&self) -> u8 {
        match self {
            Cidr::V4(n) => n.prefix_len(),
            Cidr::V6(n) => n.prefix_len(),
        }
    }

    pub fn as_v4(&self) -> Option<Ipv4Net> {
        match self {
            Cidr::V4(n) => Some(*n),
            Cidr::V6(_) => None,
        }
    }

    /// True when the two ranges share at least one address. Aligned CIDRs either nest or are
    /// disjoint, so overlap is containment in one direction or the other.
    pub fn overlaps(&self, other: &Cidr) -> bool {
        self.contains(other) || other.contains(self)
    }

    /// True when every address of `other` is inside `self`.
    pub fn contains(&self, other: &Cidr) -> bool {
        match (self, other) {
            (Cidr::V4(a), Cidr::V4(b)) => a.contains(b),
            (Cidr::V6(a), Cidr::V6(b)) => a.contains(b),
            _ => false,
        }
    }

    /// Number of addresses, saturating for IPv6.
    pub fn size(&self) -> u128 {
        match self {
            Cidr::V4(n) => 1u128 << (32 - n.prefix_len()),
            Cidr::V6(n) => {
                let bits = 128 - u32::from(n.prefix_len());
                if bits >= 128 {
                    u128::MAX
                } else {
                    1u128 << bits
                }
            }
        }
    }
}

/// Where an IPv4 range sits in the address plan. EKS requires remote node and pod networks in
/// RFC 1918 space; CGNAT (RFC 6598) works on many networks but is outside what EKS documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    /// Wholly inside one of 10/8, 172.16/12, 192.168/16.
    Rfc1918,
    /// Wholly inside 100.64.0.0/10.
    Cgnat,
    /// Anything else (public space, or a range straddling a private block's edge).
    Public,
}

const RFC1918: [(Ipv4Addr, u8); 3] = [
    (Ipv4Addr::new(10, 0, 0, 0), 8),
    (Ipv4Addr::new(172, 16, 0, 0), 12),
    (Ipv4Addr::new(192, 168, 0, 0), 16),
];
const CGNAT: (Ipv4Addr, u8) = (Ipv4Addr::new(100, 64, 0, 0), 10);

fn net4(addr: Ipv4Addr, len: u8) -> Ipv4Net {
    // The constants above are valid prefixes, so this cannot fail; fall back to a /32 to stay
    // panic-free regardless.
    Ipv4Net::new(addr, len).unwrap_or_else(|_| Ipv4Net::from(addr))
}

/// The RFC 1918 block that wholly contains `net`, if any.
pub fn rfc1918_block(net: &Ipv4Net) -> Option<Ipv4Net> {
    RFC1918
        .iter()
        .map(|(a, l)| net4(*a, *l))
        .find(|block| block.contains(net))
}

pub fn classify(net: &Ipv4Net) -> AddressClass {
    if rfc1918_block(net).is_some() {
        AddressClass::Rfc1918
    } else if net4(CGNAT.0, CGNAT.1).contains(net) {
        AddressClass::Cgnat
    } else {
        AddressClass::Public
    }
}

/// Every pair `(i, j)`, `i < j`, of overlapping CIDRs inside one list.
pub fn overlapping_pairs(list: &[Cidr]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for i in 0..list.len() {
        for j in i + 1..list.len() {
            if list[i].overlaps(&list[j]) {
                out.push((i, j));
            }
        }
    }
    out
}

/// Every pair `(i, j)` with `a[i]` overlapping `b[j]`.
pub fn cross_overlaps(a: &[Cidr], b: &[Cidr]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (i, x) in a.iter().enumerate() {
        for (j, y) in b.iter().enumerate() {
            if x.overlaps(y) {
                out.push((i, j));
            }
        }
    }
    out
}

/// Addresses Cilium's cluster-pool IPAM cannot hand to pods in each per-node block.
///
/// The agent allocates from its node's block with a range allocator that skips the network and
/// broadcast addresses, and then takes one address for the router (`cilium_host`) and one for the
/// health endpoint. So a `/mask` block holds `2^(32-mask) - 4` pods: /25 → 124, /24 → 252.
pub const RESERVED_PER_BLOCK: u64 = 4;

/// The longest mask that still leaves pods room: a /30 holds 4 addresses, all reserved.
/// Cilium recommends /29 at the longest.
pub const MAX_MASK: u8 = 29;

/// Pods one node can run with a per-node block of `/mask`.
pub fn pods_per_node(mask: u8) -> u64 {
    if mask > 32 {
        return 0;
    }
    (1u64 << (32 - u32::from(mask))).saturating_sub(RESERVED_PER_BLOCK)
}

/// The longest mask (smallest block) whose pods-per-node still fits `pods` pods, if any.
pub fn mask_for_pods(pods: u64) -> Option<u8> {
    (1..=MAX_MASK).rev().find(|m| pods_per_node(*m) >= pods)
}

/// How many per-node blocks a cluster pool yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolCapacity {
    pub mask: u8,
    /// Total `/mask` blocks across all pool CIDRs (each block is one node).
    pub blocks: u128,
    pub pods_per_node: u64,
    /// Pool CIDRs whose prefix is longer than the mask (they cannot hold a single block).
    pub too_small: Vec<Ipv4Net>,
}

impl PoolCapacity {
    pub fn total_pods(&self) -> u128 {
        self.blocks.saturating_mul(u128::from(self.pods_per_node))
    }
}

/// Σ 2^(mask − prefix) over the pool, the number of nodes Cilium can give a block to.
pub fn pool_capacity(pool: &[Ipv4Net], mask: u8) -> PoolCapacity {
    let mut blocks: u128 = 0;
    let mut too_small = Vec::new();
    for net in pool {
        let p = net.prefix_len();
        if p > mask || mask > 32 {
            too_small.push(*net);
        } else {
            blocks = blocks.saturating_add(1u128 << (mask - p));
        }
    }
    PoolCapacity {
        mask,
        blocks,
        pods_per_node: pods_per_node(mask),
        too_small,
    }
}

/// Percentage of blocks used by `nodes`, for the "nearly full" warning.
pub fn utilisation(nodes: u64, blocks: u128) -> f64 {
    if blocks == 0 {
        return f64::INFINITY;
    }
    nodes as f64 * 100.0 / blocks as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Cidr {
        s.parse().unwrap()
    }

    #[test]
    fn parses_and_rejects_host_bits() {
        assert_eq!(c("10.0.0.0/8").to_string(), "10.0.0.0/8");
        assert!(matches!(
            "10.0.0.1/24".parse::<Cidr>(),
            Err(CidrError::HostBits { .. })
        ));
        assert!(matches!(
            "10.0.0.0".parse::<Cidr>(),
            Err(CidrError::Syntax(_))
        ));
        assert!(matches!(
            "10.0.0.0/33".parse::<Cidr>(),
            Err(CidrError::Syntax(_))
        ));
        assert!(matches!(c("fd00::/64"), Cidr::V6(_)));
    }

    #[test]
    fn overlap_and_containment() {
        assert!(c("10.0.0.0/8").overlaps(&c("10.100.0.0/24")));
        assert!(c("10.100.0.0/24").overlaps(&c("10.0.0.0/8")));
        assert!(!c("10.0.0.0/16").overlaps(&c("10.1.0.0/16")));
        assert!(c("10.0.0.0/8").contains(&c("10.100.0.0/24")));
        assert!(!c("10.100.0.0/24").contains(&c("10.0.0.0/8")));
        assert!(!c("10.0.0.0/8").overlaps(&c("fd00::/8")));
    }

    #[test]
    fn classes() {
        let v = |s: &str| c(s).as_v4().unwrap();
        assert_eq!(classify(&v("192.168.64.0/20")), AddressClass::Rfc1918);
        assert_eq!(classify(&v("172.31.0.0/16")), AddressClass::Rfc1918);
        assert_eq!(classify(&v("172.32.0.0/16")), AddressClass::Public);
        assert_eq!(classify(&v("100.64.0.0/16")), AddressClass::Cgnat);
        assert_eq!(classify(&v("8.0.0.0/8")), AddressClass::Public);
        // Straddles the edge of 10/8: not wholly private.
        assert_eq!(classify(&v("8.0.0.0/6")), AddressClass::Public);
    }

    #[test]
    fn capacity_matches_cilium() {
        assert_eq!(pods_per_node(25), 124);
        assert_eq!(pods_per_node(24), 252);
        assert_eq!(pods_per_node(29), 4);
        assert_eq!(pods_per_node(30), 0);
        let pool = [
            c("10.100.0.0/16").as_v4().unwrap(),
            c("10.101.0.0/24").as_v4().unwrap(),
        ];
        let cap = pool_capacity(&pool, 25);
        assert_eq!(cap.blocks, 512 + 2);
        assert!(cap.too_small.is_empty());
        let cap = pool_capacity(&[c("10.101.0.0/24").as_v4().unwrap()], 23);
        assert_eq!(cap.blocks, 0);
        assert_eq!(cap.too_small.len(), 1);
        assert_eq!(mask_for_pods(110), Some(25));
        assert_eq!(mask_for_pods(124), Some(25));
        assert_eq!(mask_for_pods(125), Some(24));
        assert_eq!(mask_for_pods(4), Some(29));
        assert_eq!(mask_for_pods(u64::MAX), None);
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        fn any_v4() -> impl Strategy<Value = Ipv4Net> {
            (any::<u32>(), 0u8..=32)
                .prop_map(|(a, l)| Ipv4Net::new(Ipv4Addr::from(a), l).unwrap().trunc())
        }

        fn to_range(n: &Ipv4Net) -> (u64, u64) {
            (
                u64::from(u32::from(n.network())),
                u64::from(u32::from(n.broadcast())),
            )
        }

        proptest! {
            #[test]
            fn overlap_is_symmetric_and_matches_ranges(a in any_v4(), b in any_v4()) {
                let (x, y) = (Cidr::V4(a), Cidr::V4(b));
                prop_assert_eq!(x.overlaps(&y), y.overlaps(&x));
                let (a0, a1) = to_range(&a);
                let (b0, b1) = to_range(&b);
                prop_assert_eq!(x.overlaps(&y), a0 <= b1 && b0 <= a1);
            }

            #[test]
            fn containment_matches_ranges(a in any_v4(), b in any_v4()) {
                let (a0, a1) = to_range(&a);
                let (b0, b1) = to_range(&b);
                prop_assert_eq!(Cidr::V4(a).contains(&Cidr::V4(b)), a0 <= b0 && b1 <= a1);
            }

            #[test]
            fn capacity_counts_every_address(pfx in 8u8..=28, extra in 0u8..=8) {
                let mask = (pfx + extra).min(MAX_MASK);
                let net = Ipv4Net::new(Ipv4Addr::new(10, 0, 0, 0), pfx).unwrap().trunc();
                let cap = pool_capacity(&[net], mask);
                // Blocks tile the pool exactly: blocks × block size = pool size.
                prop_assert_eq!(cap.blocks * (1u128 << (32 - mask)), Cidr::V4(net).size());
                prop_assert_eq!(u128::from(cap.pods_per_node) + 4, 1u128 << (32 - mask));
            }

            #[test]
            fn mask_for_pods_is_tightest(pods in 1u64..=70_000) {
                if let Some(m) = mask_for_pods(pods) {
                    prop_assert!(pods_per_node(m) >= pods);
                    if m < MAX_MASK {
                        prop_assert!(pods_per_node(m + 1) < pods);
                    }
                }
            }
        }
    }
}
