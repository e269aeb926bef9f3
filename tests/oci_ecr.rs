//! Private ECR: credentials from `ecr:GetAuthorizationToken` (moto), used against a real
//! registry that wants exactly those credentials (htpasswd user `AWS`, moto's token password),
//! reached under an ECR host name through a fixed address (curl's `--resolve`).

use podnet::oci::{self, ChartRef, PullOptions};
use testkit::charts::{CILIUM, cilium};
use testkit::moto;
use testkit::registry::Registry;

#[test]
fn private_ecr_host_uses_get_authorization_token() {
    let moto = moto::Moto::start();
    // The only test in this binary: nothing else reads the environment concurrently.
    for (k, v) in moto.env() {
        unsafe { std::env::set_var(k, v) };
    }
    let reg = Registry::start_with_htpasswd("AWS", "123456789012-auth-token");
    reg.push(&["1.17.18"]);
    let port = reg.addr.rsplit_once(':').unwrap().1.to_string();
    let host = "123456789012.dkr.ecr.us-west-2.amazonaws.com";
    let chart: ChartRef = format!("oci://{host}:{port}/charts/cilium:1.17.18")
        .parse()
        .unwrap();
    let work = tempfile::tempdir().unwrap();
    let opts = PullOptions {
        plain_http: true,
        cache_dir: Some(work.path().to_path_buf()),
        resolve: vec![(host.to_string(), reg.addr.parse().unwrap())],
        registry_config: Some(work.path().join("no-helm-config.json")),
        ..Default::default()
    };
    let r = oci::resolve_chart(&chart, &opts).unwrap();
    assert_eq!(
        std::fs::read(&r.path).unwrap(),
        std::fs::read(cilium(CILIUM)).unwrap()
    );

    // Not an ECR host: no token is asked for, and the registry says 401.
    let other: ChartRef = format!("oci://{}/charts/cilium:1.17.18", reg.addr)
        .parse()
        .unwrap();
    let e = oci::resolve_chart(
        &other,
        &PullOptions {
            cache_dir: Some(work.path().join("other")),
            ..opts.clone()
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("401 Unauthorized"), "{e}");
}
