//! Network facts about the cluster that values are checked against. They come from flags or
//! from EKS/EC2 (`--cluster`); flags win, and every override is noted for the user.

use crate::net::Cidr;

/// Where a fact came from, so messages can say "EKS default" or "from --service-cidr".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Flag,
    Cluster,
    /// Derived the way EKS derives it when the cluster was created without one.
    EksDefault,
}

#[derive(Debug, Clone, Default)]
pub struct NetworkFacts {
    /// EKS cluster name when discovered.
    pub cluster: Option<String>,
    pub vpc_id: Option<String>,
    pub vpc_cidrs: Vec<Cidr>,
    pub service_cidr: Option<(Cidr, Source)>,
    pub remote_node_networks: Vec<Cidr>,
    pub remote_pod_networks: Vec<Cidr>,
    /// `ipv4` or `ipv6` as EKS reports it.
    pub ip_family: Option<String>,
    /// Human notes about where facts came from and what flags overrode.
    pub notes: Vec<String>,
}

/// The service CIDR EKS picks when none is given: 172.20.0.0/16 if the VPC lies in 10.0.0.0/8,
/// else 10.100.0.0/16 (so the service range never overlaps the VPC).
pub fn eks_default_service_cidr(vpc_cidrs: &[Cidr]) -> Cidr {
    let ten: Cidr =
        Cidr::V4(ipnet::Ipv4Net::new(std::net::Ipv4Addr::new(10, 0, 0, 0), 8).unwrap_or_default());
    let pick = if vpc_cidrs.iter().any(|c| ten.overlaps(c)) {
        "172.20.0.0/16"
    } else {
        "10.100.0.0/16"
    };
    pick.parse().unwrap_or(ten)
}

/// Both ranges EKS may pick, for when neither the service CIDR nor the VPC is known.
pub fn eks_default_service_candidates() -> [Cidr; 2] {
    let a = "10.100.0.0/16"
        .parse()
        .unwrap_or(Cidr::V4(Default::default()));
    let b = "172.20.0.0/16"
        .parse()
        .unwrap_or(Cidr::V4(Default::default()));
    [a, b]
}

impl NetworkFacts {
    /// The service CIDR to check against: given, discovered, or EKS's default for the VPC.
    pub fn effective_service_cidr(&self) -> Option<(Cidr, Source)> {
        if let Some(s) = self.service_cidr {
            return Some(s);
        }
        if self.vpc_cidrs.is_empty() {
            None
        } else {
            Some((
                eks_default_service_cidr(&self.vpc_cidrs),
                Source::EksDefault,
            ))
        }
    }

    /// Overrides a discovered list with a flag's, noting the change.
    pub fn override_list(
        &mut self,
        what: &str,
        flag: &str,
        field: fn(&mut Self) -> &mut Vec<Cidr>,
        from_flag: Vec<Cidr>,
    ) {
        if from_flag.is_empty() {
            return;
        }
        let slot = field(self);
        if !slot.is_empty() && *slot != from_flag {
            let old = join(slot);
            let new = join(&from_flag);
            self.notes.push(format!(
                "{flag} overrides the {what} read from the cluster ({old} → {new})"
            ));
        }
        *field(self) = from_flag;
    }
}

pub fn join(list: &[Cidr]) -> String {
    if list.is_empty() {
        return "none".to_string();
    }
    list.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eks_default_follows_vpc() {
        let c = |s: &str| s.parse::<Cidr>().unwrap();
        assert_eq!(
            eks_default_service_cidr(&[c("10.0.0.0/16")]),
            c("172.20.0.0/16")
        );
        assert_eq!(
            eks_default_service_cidr(&[c("192.168.0.0/16")]),
            c("10.100.0.0/16")
        );
        assert_eq!(
            eks_default_service_cidr(&[c("192.168.0.0/16"), c("10.1.0.0/16")]),
            c("172.20.0.0/16")
        );
    }
}
