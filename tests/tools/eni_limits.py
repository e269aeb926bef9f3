#!/usr/bin/env python3
"""Writes src/audit/eni_limits.tsv: ENI and IPv4 limits per EC2 instance type (public AWS data,
as DescribeInstanceTypes reports it; here read from moto's bundled copy of that data).

Usage: eni_limits.py > src/audit/eni_limits.tsv
Columns: type, ENIs on the default network card, IPv4 addresses per ENI, default vCPUs,
hypervisor (nitro / xen / -), bare metal (1/0).
"""
import gzip, json, pathlib, sys
import moto

data = json.load(gzip.open(pathlib.Path(moto.__file__).parent / "ec2/resources/instance_types.json.gz"))
out = sys.stdout
out.write("# type\tenis\tipv4_per_eni\tvcpus\thypervisor\tbare_metal\n")
for name in sorted(data):
    t = data[name]
    net = t["NetworkInfo"]
    cards = net.get("NetworkCards") or []
    default = net.get("DefaultNetworkCardIndex", 0)
    enis = next((c["MaximumNetworkInterfaces"] for c in cards if c.get("NetworkCardIndex") == default),
                net["MaximumNetworkInterfaces"])
    out.write("\t".join([
        name, str(enis), str(net["Ipv4AddressesPerInterface"]), str(t["VCpuInfo"]["DefaultVCpus"]),
        t.get("Hypervisor") or "-", "1" if t.get("BareMetal") else "0",
    ]) + "\n")
