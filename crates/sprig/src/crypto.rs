//! Sprig's crypto helpers: RSA-2048 keys from our prime search on aws-lc (started early, in
//! parallel) and certificates from rcgen, with Helm/Sprig's PEM shapes.

use super::rsakey;
use gotemplate::error::TemplateError;
use gotemplate::value::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};

/// RSA-2048 keys for one render, made from a pool of 1024-bit primes searched on worker
/// threads. While the render runs, workers use the cores it leaves idle, up to the primes the
/// templates can ask for with these values (`keyreach`); while a template waits for a key,
/// every core searches. Two keys
/// then cost about (sum of four prime searches) / cores. Primes are used once and never
/// outlive the render's process.
pub struct KeyPool {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<PoolState>,
    ready: Condvar,
    /// Set when the pool is dropped: searches for primes nobody will take stop.
    closed: AtomicBool,
    cores: usize,
}

#[derive(Default)]
struct PoolState {
    primes: Vec<Vec<u8>>,
    workers: usize,
    waiting: usize,
    /// Primes the templates may still ask for: two per key-generating call they can reach
    /// (an estimate: calls behind guards decided only while rendering all count).
    demand: usize,
    failed: Option<String>,
}

impl Shared {
    /// How many workers should be searching now.
    fn target(&self, st: &PoolState) -> usize {
        if st.failed.is_some() {
            return 0;
        }
        let mut outstanding = st.demand.saturating_sub(st.primes.len());
        if st.waiting > 0 {
            outstanding = outstanding.max((2 * st.waiting).saturating_sub(st.primes.len()));
        }
        let cores = if st.waiting > 0 {
            self.cores
        } else {
            self.cores - 1
        };
        outstanding.min(cores)
    }

    fn staff(self: &Arc<Self>, st: &mut PoolState) {
        while st.workers < self.target(st) {
            st.workers += 1;
            let me = Arc::clone(self);
            std::thread::spawn(move || me.work());
        }
    }

    fn work(&self) {
        loop {
            let r = rsakey::gen_prime_until(&|| self.closed.load(Ordering::Relaxed));
            let Ok(mut st) = self.state.lock() else {
                return;
            };
            match r {
                Ok(Some(p)) => st.primes.push(p),
                Ok(None) => {
                    st.workers -= 1;
                    self.ready.notify_all();
                    return;
                }
                Err(e) => st.failed = Some(e),
            }
            self.ready.notify_all();
            if st.workers > self.target(&st) {
                st.workers -= 1;
                // a dropping pool waits for the count to reach 0
                self.ready.notify_all();
                return;
            }
        }
    }
}

impl KeyPool {
    /// A pool for a render whose templates contain `expected` key-generating calls. Searching
    /// starts now on the cores the render leaves idle, before any template asks for a key.
    pub fn start(expected: usize) -> Arc<KeyPool> {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let shared = Arc::new(Shared {
            state: Mutex::new(PoolState {
                demand: 2 * expected,
                ..Default::default()
            }),
            ready: Condvar::new(),
            cores,
            closed: AtomicBool::new(false),
        });
        if let Ok(mut st) = shared.state.lock() {
            shared.staff(&mut st);
        }
        Arc::new(KeyPool { shared })
    }

    /// PKCS#8 DER of a fresh key.
    fn take(&self) -> Result<Vec<u8>, String> {
        let poisoned = |_| "key pool poisoned".to_string();
        let mut st = self.shared.state.lock().map_err(poisoned)?;
        st.demand = st.demand.saturating_sub(2);
        st.waiting += 1;
        let pair = loop {
            if let Some(e) = st.failed.clone() {
                break Err(e);
            }
            if st.primes.len() >= 2 {
                let p = st.primes.swap_remove(0);
                match st
                    .primes
                    .iter()
                    .position(|q| rsakey::distinct_enough(&p, q))
                {
                    Some(i) => break Ok((p, st.primes.swap_remove(i))),
                    // p is too close to every other prime (never seen in practice): drop it
                    None => continue,
                }
            }
            self.shared.staff(&mut st);
            st = self.shared.ready.wait(st).map_err(poisoned)?;
        };
        st.waiting -= 1;
        drop(st);
        let (p, q) = pair?;
        rsakey::rsa_from_primes(&p, &q).map(|k| rsakey::pkcs8_from_pkcs1(&k))
    }
}

/// The render is over: workers still searching (for keys the templates could have asked for and
/// did not) stop at their next candidate, and the pool waits for them, so no thread outlives it —
/// a long-running program embedding the engine keeps no CPU busy after a render.
impl Drop for KeyPool {
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::Relaxed);
        let Ok(mut st) = self.shared.state.lock() else {
            return;
        };
        st.demand = 0;
        while st.workers > 0 {
            st = match self.shared.ready.wait(st) {
                Ok(st) => st,
                Err(_) => return,
            };
        }
    }
}

fn take_key(keys: Option<&KeyPool>) -> Result<Vec<u8>, TemplateError> {
    match keys {
        Some(p) => p.take().map_err(TemplateError::new),
        None => rsakey::generate_pkcs8().map_err(TemplateError::new),
    }
}

/// Read one DER TLV at `i`: (tag, content start, content end).
fn der_tlv(b: &[u8], i: usize) -> Option<(u8, usize, usize)> {
    let tag = *b.get(i)?;
    let l0 = *b.get(i + 1)? as usize;
    let (len, hdr) = if l0 < 0x80 {
        (l0, 2)
    } else {
        let n = l0 & 0x7f;
        let mut len = 0usize;
        for k in 0..n {
            len = (len << 8) | *b.get(i + 2 + k)? as usize;
        }
        (len, 2 + n)
    };
    Some((tag, i + hdr, i + hdr + len))
}

/// Extract the PKCS#1 RSAPrivateKey from a PKCS#8 PrivateKeyInfo.
fn pkcs8_to_pkcs1(p8: &[u8]) -> Option<Vec<u8>> {
    let (_, s, _) = der_tlv(p8, 0)?; // SEQUENCE
    let (_, _, e1) = der_tlv(p8, s)?; // version INTEGER
    let (_, _, e2) = der_tlv(p8, e1)?; // AlgorithmIdentifier
    let (tag, cs, ce) = der_tlv(p8, e2)?; // OCTET STRING
    if tag != 0x04 {
        return None;
    }
    Some(p8[cs..ce].to_vec())
}

/// Go's pem.EncodeToMemory.
pub fn pem_encode(label: &str, der: &[u8]) -> String {
    use base64::Engine;
    let b = base64::engine::general_purpose::STANDARD.encode(der);
    let mut s = format!("-----BEGIN {}-----\n", label);
    for chunk in b.as_bytes().chunks(64) {
        s.push_str(std::str::from_utf8(chunk).unwrap_or(""));
        s.push('\n');
    }
    s.push_str(&format!("-----END {}-----\n", label));
    s
}

fn rsa_key_pem(p8: &[u8]) -> Result<String, TemplateError> {
    let p1 = pkcs8_to_pkcs1(p8).ok_or_else(|| TemplateError::new("error encoding RSA key"))?;
    Ok(pem_encode("RSA PRIVATE KEY", &p1))
}

/// `genPrivateKey`.
pub fn gen_private_key(keys: Option<&KeyPool>, typ: &str) -> Result<String, TemplateError> {
    match typ {
        "" | "rsa" => {
            // Sprig makes 4096-bit keys here (the pool holds genCA's 2048-bit ones)
            let _ = keys;
            let kp = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa4096)
                .map_err(|e| TemplateError::new(format!("failed to generate private key: {e}")))?;
            use aws_lc_rs::encoding::AsDer;
            let p8 = kp
                .as_der()
                .map_err(|e| TemplateError::new(format!("failed to generate private key: {e}")))?;
            rsa_key_pem(p8.as_ref())
        }
        "dsa" => gen_dsa_pem(),
        "ecdsa" => {
            use aws_lc_rs::encoding::AsDer;
            let rng = aws_lc_rs::rand::SystemRandom::new();
            let doc = aws_lc_rs::signature::EcdsaKeyPair::generate_pkcs8(
                &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
                &rng,
            )
            .map_err(|_| TemplateError::new("error generating ecdsa key"))?;
            let kp = aws_lc_rs::signature::EcdsaKeyPair::from_pkcs8(
                &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
                doc.as_ref(),
            )
            .map_err(|_| TemplateError::new("error generating ecdsa key"))?;
            let sec1 = kp
                .private_key()
                .as_der()
                .map_err(|_| TemplateError::new("error encoding ecdsa key"))?;
            Ok(pem_encode("EC PRIVATE KEY", sec1.as_ref()))
        }
        "ed25519" => {
            let kp = aws_lc_rs::signature::Ed25519KeyPair::generate()
                .map_err(|_| TemplateError::new("error generating ed25519 key"))?;
            let der = kp
                .to_pkcs8v1()
                .map_err(|_| TemplateError::new("error encoding ed25519 key"))?;
            Ok(pem_encode("PRIVATE KEY", der.as_ref()))
        }
        other => Ok(format!("Unknown type {}", other)),
    }
}

struct CaEntry {
    params: rcgen::CertificateParams,
    key_der: Vec<u8>,
}

thread_local! {
    static CAS: std::cell::RefCell<HashMap<String, Arc<CaEntry>>> = Default::default();
}

fn base_params(
    cn: &str,
    ips: &Value,
    dns: &Value,
    days: i64,
) -> Result<rcgen::CertificateParams, TemplateError> {
    let mut p = rcgen::CertificateParams::default();
    let mut dn = rcgen::DistinguishedName::new();
    dn.push(rcgen::DnType::CommonName, cn);
    p.distinguished_name = dn;
    let now = time::OffsetDateTime::now_utc();
    p.not_before = now;
    p.not_after = now + time::Duration::hours(24 * days);
    let mut serial = [0u8; 16];
    aws_lc_rs::rand::fill(&mut serial)
        .map_err(|_| TemplateError::new("error generating serial"))?;
    serial[0] &= 0x7f;
    p.serial_number = Some(rcgen::SerialNumber::from_slice(&serial));
    let mut sans = Vec::new();
    if let Value::List(l) = dns {
        for d in l.iter() {
            match d {
                Value::Str(s) => {
                    sans.push(rcgen::SanType::DnsName(s.to_string().try_into().map_err(
                        |_| TemplateError::new(format!("invalid DNS name {}", s)),
                    )?))
                }
                _ => {
                    return Err(TemplateError::new(format!(
                        "error processing alternate dns name: {} is not a string",
                        gotemplate::value::sprint(d)
                    )));
                }
            }
        }
    }
    if let Value::List(l) = ips {
        for ip in l.iter() {
            let s = match ip {
                Value::Str(s) => s.to_string(),
                _ => {
                    return Err(TemplateError::new(format!(
                        "error parsing ip: {} is not a string",
                        gotemplate::value::sprint(ip)
                    )));
                }
            };
            let addr: std::net::IpAddr = s
                .parse()
                .map_err(|_| TemplateError::new(format!("error parsing ip: {}", s)))?;
            sans.push(rcgen::SanType::IpAddress(addr));
        }
    }
    p.subject_alt_names = sans;
    p.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyEncipherment,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    p.extended_key_usages = vec![
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
    ];
    p.is_ca = rcgen::IsCa::ExplicitNoCa;
    Ok(p)
}

fn keypair(der: &[u8]) -> Result<rcgen::KeyPair, TemplateError> {
    rcgen::KeyPair::try_from(der).map_err(|e| TemplateError::new(format!("error loading key: {e}")))
}

/// `genCA`.
pub fn gen_ca(
    keys: Option<&KeyPool>,
    cn: &str,
    days: i64,
) -> Result<(String, String), TemplateError> {
    let key = take_key(keys)?;
    let mut p = base_params(cn, &Value::Nil, &Value::Nil, days)?;
    p.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyEncipherment,
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::KeyCertSign,
    ];
    p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let kp = keypair(&key)?;
    let cert = p
        .self_signed(&kp)
        .map_err(|e| TemplateError::new(format!("error creating certificate: {e}")))?;
    let pem = pem_encode("CERTIFICATE", cert.der());
    let key_pem = rsa_key_pem(&key)?;
    CAS.with(|c| {
        c.borrow_mut().insert(
            pem.clone(),
            Arc::new(CaEntry {
                params: p,
                key_der: key,
            }),
        )
    });
    Ok((pem, key_pem))
}

/// `genSelfSignedCert`.
pub fn gen_self_signed(
    keys: Option<&KeyPool>,
    cn: &str,
    ips: &Value,
    dns: &Value,
    days: i64,
) -> Result<(String, String), TemplateError> {
    let key = take_key(keys)?;
    let p = base_params(cn, ips, dns, days)?;
    let kp = keypair(&key)?;
    let cert = p
        .self_signed(&kp)
        .map_err(|e| TemplateError::new(format!("error creating certificate: {e}")))?;
    Ok((pem_encode("CERTIFICATE", cert.der()), rsa_key_pem(&key)?))
}

/// `genSignedCert`.
pub fn gen_signed(
    keys: Option<&KeyPool>,
    cn: &str,
    ips: &Value,
    dns: &Value,
    days: i64,
    ca_cert: &str,
    ca_key: &str,
) -> Result<(String, String), TemplateError> {
    let ca = ca_for(ca_cert, ca_key)?;
    let key = take_key(keys)?;
    let p = base_params(cn, ips, dns, days)?;
    let kp = keypair(&key)?;
    let ca_kp = keypair(&ca.key_der)?;
    let issuer = rcgen::Issuer::from_params(&ca.params, &ca_kp);
    let cert = p
        .signed_by(&kp, &issuer)
        .map_err(|e| TemplateError::new(format!("error creating certificate: {e}")))?;
    Ok((pem_encode("CERTIFICATE", cert.der()), rsa_key_pem(&key)?))
}

/// `uuidv4`.
pub fn uuidv4() -> String {
    let mut b = [0u8; 16];
    let _ = aws_lc_rs::rand::fill(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{:02x}", x)).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// `randAlphaNum` and friends.
pub fn rand_string(kind: &str, n: usize) -> String {
    let set: &[u8] = match kind {
        "randAlpha" => b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "randNumeric" => b"0123456789",
        "randAscii" => b" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~",
        _ => b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    };
    let mut buf = vec![0u8; n];
    let _ = aws_lc_rs::rand::fill(&mut buf);
    buf.iter()
        .map(|b| set[*b as usize % set.len()] as char)
        .collect()
}

/// A private key given to the `*WithKey` functions, as PKCS#8 DER plus the PEM Sprig returns
/// for it (`RSA PRIVATE KEY`, `EC PRIVATE KEY` or PKCS#8 `PRIVATE KEY` for ed25519).
struct GivenKey {
    pkcs8: Vec<u8>,
    pem: String,
}

fn pem_decode(pem: &str) -> Option<(String, Vec<u8>)> {
    use base64::Engine;
    let start = pem.find("-----BEGIN ")?;
    let rest = &pem[start + 11..];
    let label_end = rest.find("-----")?;
    let label = rest[..label_end].to_string();
    let body_start = label_end + 5;
    let end_marker = format!("-----END {label}-----");
    let body_end = rest.find(&end_marker)?;
    let b64: String = rest[body_start..body_end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let der = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    Some((label, der))
}

/// Sprig's parsePrivateKeyPEM (RSA PKCS#1, EC SEC1, PKCS#8), with its error messages.
fn parse_private_key_pem(pem: &str) -> Result<GivenKey, String> {
    use aws_lc_rs::encoding::AsDer;
    let Some((label, der)) = pem_decode(pem) else {
        return Err("no PEM data in input".into());
    };
    if label == "PRIVATE KEY" {
        if let Ok(kp) = aws_lc_rs::rsa::KeyPair::from_pkcs8(&der) {
            let _ = kp;
            let p1 = pkcs8_to_pkcs1(&der).ok_or("decoding PEM as PKCS#8: bad key")?;
            return Ok(GivenKey {
                pem: pem_encode("RSA PRIVATE KEY", &p1),
                pkcs8: der,
            });
        }
        for alg in [
            &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            &aws_lc_rs::signature::ECDSA_P384_SHA384_ASN1_SIGNING,
        ] {
            if let Ok(kp) = aws_lc_rs::signature::EcdsaKeyPair::from_pkcs8(alg, &der) {
                let sec1 = kp.private_key().as_der().map_err(|_| "bad EC key")?;
                return Ok(GivenKey {
                    pem: pem_encode("EC PRIVATE KEY", sec1.as_ref()),
                    pkcs8: der,
                });
            }
        }
        if aws_lc_rs::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der).is_ok() {
            return Ok(GivenKey {
                pem: pem_encode("PRIVATE KEY", &der),
                pkcs8: der,
            });
        }
        return Err("decoding PEM as PKCS#8: x509: failed to parse private key".into());
    }
    let Some(kind) = label.strip_suffix(" PRIVATE KEY") else {
        return Err(format!("no private key data in PEM block of type {label}"));
    };
    match kind {
        "RSA" => {
            aws_lc_rs::rsa::KeyPair::from_der(&der).map_err(|_| {
                "parsing RSA private key from PEM: x509: failed to parse private key".to_string()
            })?;
            Ok(GivenKey {
                pkcs8: rsakey::pkcs8_from_pkcs1(&der),
                pem: pem_encode("RSA PRIVATE KEY", &der),
            })
        }
        "EC" => {
            for alg in [
                &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
                &aws_lc_rs::signature::ECDSA_P384_SHA384_ASN1_SIGNING,
            ] {
                if let Ok(kp) = aws_lc_rs::signature::EcdsaKeyPair::from_private_key_der(alg, &der)
                {
                    let p8 = kp.to_pkcs8v1().map_err(|_| "bad EC key")?;
                    return Ok(GivenKey {
                        pkcs8: p8.as_ref().to_vec(),
                        pem: pem_encode("EC PRIVATE KEY", &der),
                    });
                }
            }
            Err("parsing EC private key from PEM: x509: failed to parse EC private key".into())
        }
        _ => Err(format!("invalid private key type {label}")),
    }
}

/// `genCAWithKey`.
pub fn gen_ca_with_key(
    cn: &str,
    days: i64,
    key_pem: &str,
) -> Result<(String, String), TemplateError> {
    let k = parse_private_key_pem(key_pem)
        .map_err(|e| TemplateError::new(format!("parsing private key: {e}")))?;
    let mut p = base_params(cn, &Value::Nil, &Value::Nil, days)?;
    p.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyEncipherment,
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::KeyCertSign,
    ];
    p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let kp = keypair(&k.pkcs8)?;
    let cert = p
        .self_signed(&kp)
        .map_err(|e| TemplateError::new(format!("error creating certificate: {e}")))?;
    let pem = pem_encode("CERTIFICATE", cert.der());
    CAS.with(|c| {
        c.borrow_mut().insert(
            pem.clone(),
            Arc::new(CaEntry {
                params: p,
                key_der: k.pkcs8,
            }),
        )
    });
    Ok((pem, k.pem))
}

/// `genSelfSignedCertWithKey`.
pub fn gen_self_signed_with_key(
    cn: &str,
    ips: &Value,
    dns: &Value,
    days: i64,
    key_pem: &str,
) -> Result<(String, String), TemplateError> {
    let k = parse_private_key_pem(key_pem)
        .map_err(|e| TemplateError::new(format!("parsing private key: {e}")))?;
    let p = base_params(cn, ips, dns, days)?;
    let kp = keypair(&k.pkcs8)?;
    let cert = p
        .self_signed(&kp)
        .map_err(|e| TemplateError::new(format!("error creating certificate: {e}")))?;
    Ok((pem_encode("CERTIFICATE", cert.der()), k.pem))
}

/// `genSignedCertWithKey`.
pub fn gen_signed_with_key(
    cn: &str,
    ips: &Value,
    dns: &Value,
    days: i64,
    ca_cert: &str,
    ca_key: &str,
    key_pem: &str,
) -> Result<(String, String), TemplateError> {
    let k = parse_private_key_pem(key_pem)
        .map_err(|e| TemplateError::new(format!("parsing private key: {e}")))?;
    let ca = ca_for(ca_cert, ca_key)?;
    let p = base_params(cn, ips, dns, days)?;
    let kp = keypair(&k.pkcs8)?;
    let ca_kp = keypair(&ca.key_der)?;
    let issuer = rcgen::Issuer::from_params(&ca.params, &ca_kp);
    let cert = p
        .signed_by(&kp, &issuer)
        .map_err(|e| TemplateError::new(format!("error creating certificate: {e}")))?;
    Ok((pem_encode("CERTIFICATE", cert.der()), k.pem))
}

/// A DSA key (L=1024, N=160, as Sprig's `genPrivateKey "dsa"`), PEM `DSA PRIVATE KEY`.
fn gen_dsa_pem() -> Result<String, TemplateError> {
    let fail = || TemplateError::new("failed to generate private key: DSA key generation failed");
    // SAFETY: the DSA object is created, used and freed here; i2d allocates `out`, which is
    // copied and then released with OPENSSL_free.
    unsafe {
        let dsa = aws_lc_sys::DSA_new();
        if dsa.is_null() {
            return Err(fail());
        }
        let ok = aws_lc_sys::DSA_generate_parameters_ex(
            dsa,
            1024,
            std::ptr::null(),
            0,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        ) == 1
            && aws_lc_sys::DSA_generate_key(dsa) == 1;
        if !ok {
            aws_lc_sys::DSA_free(dsa);
            return Err(fail());
        }
        let mut out: *mut u8 = std::ptr::null_mut();
        let n = aws_lc_sys::i2d_DSAPrivateKey(dsa, &mut out);
        aws_lc_sys::DSA_free(dsa);
        if n <= 0 || out.is_null() {
            return Err(fail());
        }
        let der = std::slice::from_raw_parts(out, n as usize).to_vec();
        aws_lc_sys::OPENSSL_free(out.cast());
        Ok(pem_encode("DSA PRIVATE KEY", &der))
    }
}

/// Decode a DER OBJECT IDENTIFIER's content into its arcs.
fn der_oid(b: &[u8]) -> Vec<u64> {
    let mut arcs = Vec::new();
    let mut cur: u64 = 0;
    for (i, &x) in b.iter().enumerate() {
        cur = (cur << 7) | (x & 0x7f) as u64;
        if x & 0x80 == 0 {
            if i == 0 || arcs.is_empty() {
                let (a, b2) = if cur < 40 {
                    (0, cur)
                } else if cur < 80 {
                    (1, cur - 40)
                } else {
                    (2, cur - 80)
                };
                arcs.push(a);
                arcs.push(b2);
            } else {
                arcs.push(cur);
            }
            cur = 0;
        }
    }
    arcs
}

/// The subject of a DER certificate as an rcgen name (attribute order and string types kept).
fn cert_subject(der: &[u8]) -> Option<rcgen::DistinguishedName> {
    let (_, cs, _) = der_tlv(der, 0)?; // Certificate
    let (_, ts, _) = der_tlv(der, cs)?; // TBSCertificate
    let mut i = ts;
    let (tag, _, e) = der_tlv(der, i)?;
    if tag == 0xA0 {
        i = e; // [0] version
    }
    for _ in 0..4 {
        // serialNumber, signature, issuer, validity
        let (_, _, e) = der_tlv(der, i)?;
        i = e;
    }
    let (tag, ss, se) = der_tlv(der, i)?;
    if tag != 0x30 {
        return None;
    }
    let mut dn = rcgen::DistinguishedName::new();
    let mut j = ss;
    while j < se {
        let (_, rs, re) = der_tlv(der, j)?; // SET
        let mut k = rs;
        while k < re {
            let (_, a_s, a_e) = der_tlv(der, k)?; // AttributeTypeAndValue
            let (_, os, oe) = der_tlv(der, a_s)?;
            let (vt, vs, ve) = der_tlv(der, oe)?;
            let oid = der_oid(&der[os..oe]);
            let text = String::from_utf8_lossy(&der[vs..ve]).into_owned();
            let value = match vt {
                0x13 => rcgen::string::PrintableString::try_from(text.as_str())
                    .map(rcgen::DnValue::PrintableString)
                    .unwrap_or(rcgen::DnValue::Utf8String(text)),
                0x16 => rcgen::string::Ia5String::try_from(text.as_str())
                    .map(rcgen::DnValue::Ia5String)
                    .unwrap_or(rcgen::DnValue::Utf8String(text)),
                _ => rcgen::DnValue::Utf8String(text),
            };
            dn.push(rcgen::DnType::from_oid(&oid), value);
            k = a_e;
        }
        j = re;
    }
    Some(dn)
}

/// A CA given as PEM (from `buildCustomCert`, values or a `lookup`ed Secret), as Sprig reads it.
fn external_ca(ca_cert: &str, ca_key: &str) -> Result<Arc<CaEntry>, TemplateError> {
    let (_, der) =
        pem_decode(ca_cert).ok_or_else(|| TemplateError::new("unable to decode certificate"))?;
    let dn = cert_subject(&der).ok_or_else(|| {
        TemplateError::new(
            "error parsing certificate: decodedSignerCert.Bytes: x509: malformed certificate",
        )
    })?;
    let k = parse_private_key_pem(ca_key)
        .map_err(|e| TemplateError::new(format!("error parsing private key: {e}")))?;
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = dn;
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    Ok(Arc::new(CaEntry {
        params,
        key_der: k.pkcs8,
    }))
}

fn ca_for(ca_cert: &str, ca_key: &str) -> Result<Arc<CaEntry>, TemplateError> {
    match CAS.with(|c| c.borrow().get(ca_cert).cloned()) {
        Some(c) => Ok(c),
        None => external_ca(ca_cert, ca_key),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_pool_leaves_no_worker_searching() {
        // demand for three keys that no template takes
        let pool = KeyPool::start(3);
        let shared = Arc::clone(&pool.shared);
        drop(pool);
        let st = shared.state.lock().unwrap();
        assert_eq!(st.workers, 0);
        assert_eq!(st.demand, 0);
        assert!(shared.closed.load(Ordering::Relaxed));
    }
}
