//! Functions Helm v4 registers that need more than a one-liner (dates, password and crypto
//! helpers), differential against Helm v4. Deterministic output must be identical; random
//! output (salts, IVs, keys, certificates) is checked through what does not depend on chance:
//! length, prefix, round trips, and PEM keys re-encoded from a fixed key. Errors must match.
use std::path::Path;
use testkit::engine::ours;
use testkit::helm::Oracle;

const CASES: &[&str] = &[
    // toDate / mustToDate (Go time layouts, zero time on error)
    r#"{{ toDate "2006-01-02" "2024-01-02" }}|{{ toDate "2006-01-02T15:04:05Z07:00" "2024-01-02T10:11:12+02:00" }}|{{ toDate "2006-01-02T15:04:05Z07:00" "2024-01-02T10:11:12Z" }}|{{ toDate "2006-01-02" "bad" }}"#,
    r#"{{ toDate "02 Jan 06 15:04 MST" "03 Feb 24 10:11 UTC" }}|{{ toDate "Jan _2 15:04:05.000" "Feb  3 10:11:12.345" }}|{{ toDate "Monday, 02-Jan-06 3:04:05 PM" "Saturday, 03-Feb-24 1:05:09 PM" }}|{{ toDate "2006-01-02 15:04:05.999999999 -0700" "2024-03-04 05:06:07.5 -0530" }}"#,
    r#"{{ toDate "2006-01-02T15:04:05Z07:00" "2024-01-02T10:11:12+02:00" | date "2006-01-02 15:04 MST" }}|{{ toDate "2006-01-02" "2024-02-29" | unixEpoch }}|{{ toDate "20060102" "20240131" | htmlDate }}|{{ toDate "2006-002" "2024-060" }}"#,
    r#"{{ mustToDate "2006-01-02" "2024-13-01" }}"#,
    r#"{{ mustToDate "2006-01-02" "2024-02-30" }}"#,
    r#"{{ mustToDate "2006-01-02" "2024-01-02x" }}"#,
    r#"{{ mustToDate "2006-01-02 15:04" "2024-01-02 25:00" }}"#,
    r#"{{ mustToDate "Jan 2 2006" "Foo 2 2024" }}"#,
    r#"{{ must_date_modify "-1h" (toDate "2006-01-02" "2024-01-02") }}|{{ date_modify "90m" (toDate "2006-01-02" "2024-01-02") }}"#,
    // durations
    r#"{{ durationRound "2h10m5s" }} {{ durationRound "-3h" }} {{ durationRound "400h" }} {{ durationRound "9000h" }} {{ durationRound "90s" }} {{ durationRound "1s" }} {{ durationRound 3700 }} {{ durationRound "bad" }} {{ durationRound (toDate "2006-01-02" "2000-01-01") }}"#,
    r#"{{ ago now }}"#,
    // abbrevboth (goutils.AbbreviateFull)
    r#"{{ abbrevboth 5 10 "1234 5678 9123" }}|{{ abbrevboth 0 4 "abcdefg" }}|{{ abbrevboth 1 6 "abcdefghij" }}|{{ abbrevboth 20 10 "abcdefghijklmnop" }}|{{ abbrevboth 2 3 "abcdefg" }}|{{ abbrevboth 6 8 "abcdefghijklmnop" }}"#,
    // derivePassword (Master Password algorithm)
    r#"{{ derivePassword 1 "long" "password" "user" "example.com" }} {{ derivePassword 2 "maximum" "password" "user" "example.com" }} {{ derivePassword 1 "medium" "pw" "ü" "x.org" }} {{ derivePassword 3 "short" "a" "b" "c" }} {{ derivePassword 1 "basic" "a" "b" "c" }} {{ derivePassword 1 "pin" "a" "b" "c" }} {{ derivePassword 1 "nope" "a" "b" "c" }}"#,
    r#"{{ derivePassword -1 "long" "a" "b" "c" }}"#,
    r#"{{ derivePassword 1.5 "long" "a" "b" "c" }}"#,
    r#"{{ derivePassword (add 1 1) "long" "a" "b" "c" }}"#,
    r#"{{ $n := 2 }}{{ derivePassword $n "long" "a" "b" "c" }}"#,
    // a type error on a parenthesised argument names the last node evaluated inside it
    r#"{{ repeat (add 1 (len "ab")) "x" }}"#,
    r#"{{ trunc (len "ab") "abc" }}|{{ repeat (int (add 1 1)) "x" }}"#,
    // bcrypt / htpasswd: random salt, fixed shape
    r#"{{ bcrypt "secret" | len }} {{ bcrypt "secret" | substr 0 7 }} {{ htpasswd "user" "pass" | substr 0 12 }} {{ htpasswd "user" "pass" | len }} {{ htpasswd "a:b" "pass" }}"#,
    // AES: random IV, round trip, fixed ciphertext from Helm
    r#"{{ encryptAES "secretkey" "plaintext" | decryptAES "secretkey" }}|{{ encryptAES "secretkey" "plaintext" | len }}|{{ encryptAES "a-password-longer-than-thirty-two-bytes!" "x" | decryptAES "a-password-longer-than-thirty-two-bytes!" }}|{{ encryptAES "k" "" }}|{{ decryptAES "k" "" }}|{{ decryptAES "secretkey" "MQUFXO0Ah34btrRR9g1rsfmZuhRLdNUH505niZOEkJA=" }}|{{ encryptAES "k" "exactly16bytes!!" | len }}"#,
    r#"{{ decryptAES "k" "!!!" }}"#,
    r#"{{ b64dec "!!!" }}|{{ b64dec "YWJj" }}"#,
    // certificates with a given key: the key comes back re-encoded as Sprig does
    r#"{{ $ca := genCAWithKey "my-ca" 365 (.Files.Get "files/rsa2048.pem") }}{{ $ca.Key }}{{ $ca.Cert | hasPrefix "-----BEGIN CERTIFICATE-----" }}"#,
    r#"{{ $ca := genCAWithKey "my-ca" 365 (.Files.Get "files/rsa-pkcs8.pem") }}{{ $ca.Key }}"#,
    r#"{{ $c := genSelfSignedCertWithKey "me" (list "10.0.0.1") (list "a.example") 30 (.Files.Get "files/ec-p256.pem") }}{{ $c.Key }}{{ $c.Cert | hasPrefix "-----BEGIN CERTIFICATE-----" }}"#,
    r#"{{ $c := genSelfSignedCertWithKey "me" nil nil 30 (.Files.Get "files/ed25519.pem") }}{{ $c.Key }}"#,
    r#"{{ $ca := genCA "ca" 30 }}{{ $c := genSignedCertWithKey "leaf" (list "10.0.0.2") (list "leaf.example") 30 $ca (.Files.Get "files/rsa2048.pem") }}{{ $c.Key }}{{ $c.Cert | hasPrefix "-----BEGIN CERTIFICATE-----" }}"#,
    r#"{{ genCAWithKey "ca" 30 "not a pem" }}"#,
    r#"{{ genCAWithKey "ca" 30 "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" }}"#,
    // genPrivateKey sizes (RSA keys are 4096-bit in Sprig)
    r#"{{ genPrivateKey "rsa" | len | le 3200 }} {{ genPrivateKey "rsa" | len | ge 3300 }} {{ genPrivateKey "ecdsa" | len }} {{ genPrivateKey "ed25519" | len }} {{ genPrivateKey "dsa" | substr 0 16 }}"#,
    // urlParse / urlJoin
    r#"{{ urlParse "http://x" }}|{{ urlParse "mailto:a@b.c" }}|{{ urlParse "/p/a%20b?q=1&r=%41#frag%21" }}|{{ urlParse "https://u@[::1]:8443/x" }}|{{ urlParse "" }}|{{ urlParse "HTTP://Host.Example:80" }}"#,
    r#"{{ urlParse "http://x/%zz" }}"#,
    r#"{{ urlJoin (dict "scheme" "https" "host" "h:1" "path" "/a b" "query" "x=1" "fragment" "f" "userinfo" "u:p") }}|{{ urlJoin (dict "opaque" "a@b" "scheme" "mailto") }}"#,
    // Go regexp syntax errors (regexMatch swallows them, the must* variants report them)
    r#"{{ regexMatch "(" "x" }}|{{ regexMatch "a**" "x" }}|{{ regexMatch "(?i)A" "a" }}|{{ regexMatch "(?P<n>a)+?" "a" }}|{{ regexMatch "a{2}" "aa" }}"#,
    r#"{{ mustRegexMatch "(" "x" }}"#,
    r#"{{ mustRegexMatch "a)" "x" }}"#,
    r#"{{ mustRegexMatch "[a-" "x" }}"#,
    r#"{{ mustRegexMatch "*a" "x" }}"#,
    r#"{{ mustRegexMatch "a**" "x" }}"#,
    r#"{{ mustRegexFind "\\q" "x" }}"#,
    r#"{{ mustRegexMatch "a\\" "x" }}"#,
    r#"{{ mustRegexMatch "(a|b" "x" }}"#,
    // DNS lookups are off in helm template
    r#"{{ getHostByName "localhost" }}|"#,
];

fn write_chart(dir: &Path, tpl: &str) {
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::create_dir_all(dir.join("files")).unwrap();
    std::fs::write(
        dir.join("Chart.yaml"),
        "apiVersion: v2\nname: funcs\nversion: 0.1.0\n",
    )
    .unwrap();
    let keys = testkit::fixture("keys");
    for k in ["rsa2048.pem", "rsa-pkcs8.pem", "ec-p256.pem", "ed25519.pem"] {
        std::fs::copy(keys.join(k), dir.join("files").join(k)).unwrap();
    }
    std::fs::write(dir.join("templates/t.yaml"), tpl).unwrap();
}

#[test]
fn functions_match_helm() {
    let mut o = Oracle::start();
    let tmp = tempfile::tempdir().unwrap();
    let mut same = 0;
    let mut failures = vec![];
    for (i, case) in CASES.iter().enumerate() {
        let dir = tmp.path().join(format!("f{i}"));
        write_chart(&dir, case);
        let theirs = o.render(&dir, &[], "rel", "ns");
        let mine = ours(&dir, &[], "rel", "ns");
        let ok = match (&mine, &theirs) {
            (Ok(a), Ok(b)) => a == b,
            (Err(a), Err(b)) => a == b,
            _ => false,
        };
        if ok {
            same += 1;
        } else {
            failures.push(format!(
                "case {i}: {case}\n  ours: {mine:?}\n  helm: {theirs:?}"
            ));
        }
    }
    eprintln!("function cases: {same}/{} identical to Helm", CASES.len());
    for f in &failures {
        eprintln!("{f}");
    }
    assert!(
        failures.is_empty(),
        "{} function cases differ",
        failures.len()
    );
}

#[test]
fn helm_bcrypt_and_aes_output_is_accepted_by_ours() {
    // Helm makes a bcrypt hash and an AES ciphertext; our engine must verify / decrypt them.
    let mut o = Oracle::start();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("x");
    write_chart(
        &dir,
        r#"{{ bcrypt "hunter2" }} {{ encryptAES "pw" "the secret text, longer than one block" }}"#,
    );
    let out = o.render(&dir, &[], "rel", "ns").unwrap();
    let text = out.values().next().unwrap().clone();
    let (hash, crypt) = text.split_once(' ').unwrap();
    assert!(
        sprig::sprigcrypto::bcrypt_verify(b"hunter2", hash),
        "{hash}"
    );
    assert!(!sprig::sprigcrypto::bcrypt_verify(b"hunter3", hash));
    assert_eq!(
        sprig::sprigcrypto::decrypt_aes("pw", crypt).unwrap(),
        "the secret text, longer than one block"
    );
    // and the other way round: Helm decrypts what we encrypt
    let c = sprig::sprigcrypto::encrypt_aes("pw", "from podnet").unwrap();
    write_chart(&dir, &format!("{{{{ decryptAES \"pw\" \"{c}\" }}}}"));
    let out = o.render(&dir, &[], "rel", "ns").unwrap();
    assert_eq!(out.values().next().unwrap(), "from podnet");
}

/// DER TLV at `i`: (tag, header start, content start, end).
fn tlv(b: &[u8], i: usize) -> (u8, usize, usize, usize) {
    let l0 = b[i + 1] as usize;
    let (len, hdr) = if l0 < 0x80 {
        (l0, 2)
    } else {
        let n = l0 & 0x7f;
        let mut len = 0;
        for k in 0..n {
            len = (len << 8) | b[i + 2 + k] as usize;
        }
        (len, 2 + n)
    };
    (b[i], i, i + hdr, i + hdr + len)
}

fn pem_der(pem: &str) -> Vec<u8> {
    use base64::Engine;
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

/// (raw TBSCertificate, issuer, subject, SubjectPublicKeyInfo key bits, signature bits)
type CertParts = (Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>);

fn cert_parts(der: &[u8]) -> CertParts {
    let (_, _, cs, _) = tlv(der, 0);
    let (_, th, ts, te) = tlv(der, cs);
    let tbs = der[th..te].to_vec();
    let mut i = ts;
    if der[i] == 0xA0 {
        i = tlv(der, i).3;
    }
    i = tlv(der, i).3; // serial
    i = tlv(der, i).3; // signature algorithm
    let (_, ih, _, ie) = tlv(der, i);
    let issuer = der[ih..ie].to_vec();
    i = tlv(der, ie).3; // validity
    let (_, sh, _, se) = tlv(der, i);
    let subject = der[sh..se].to_vec();
    let (_, _, ps, _) = tlv(der, se); // SubjectPublicKeyInfo
    let (_, _, _, ae) = tlv(der, ps); // its algorithm
    let (_, _, ks, ke) = tlv(der, ae); // BIT STRING
    let key = der[ks + 1..ke].to_vec();
    let (_, _, _, sae) = tlv(der, te); // outer signature algorithm
    let (_, _, ss, sig_end) = tlv(der, sae);
    let sig = der[ss + 1..sig_end].to_vec();
    (tbs, issuer, subject, key, sig)
}

#[test]
fn certs_signed_by_a_given_ca_chain_to_it_as_helms_do() {
    // buildCustomCert with a CA from files (as cilium's tls.ca.cert/key or a looked-up Secret):
    // both engines must issue leaves whose issuer is the CA's subject, signed by the CA's key.
    let mut o = Oracle::start();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ca");
    write_chart(
        &dir,
        r#"{{ $ca := buildCustomCert (.Files.Get "files/ca.crt" | b64enc) (.Files.Get "files/ca.key" | b64enc) }}{{ (genSignedCert "leaf" (list "10.0.0.1") (list "leaf.example") 30 $ca).Cert }}{{ (genSignedCertWithKey "leaf2" nil nil 30 $ca (.Files.Get "files/rsa2048.pem")).Cert }}"#,
    );
    let keys = testkit::fixture("keys");
    for f in ["ca.crt", "ca.key"] {
        std::fs::copy(keys.join(f), dir.join("files").join(f)).unwrap();
    }
    let ca_der = pem_der(&std::fs::read_to_string(keys.join("ca.crt")).unwrap());
    let (_, _, ca_subject, ca_key, _) = cert_parts(&ca_der);
    let theirs = o
        .render(&dir, &[], "rel", "ns")
        .expect("Helm signs with the given CA");
    let mine = ours(&dir, &[], "rel", "ns").expect("podnet signs with the given CA");
    for (who, out) in [("helm", theirs), ("podnet", mine)] {
        let text = out.values().next().unwrap();
        let certs: Vec<&str> = text
            .split_inclusive("-----END CERTIFICATE-----\n")
            .filter(|c| c.contains("BEGIN CERTIFICATE"))
            .collect();
        assert_eq!(certs.len(), 2, "{who}: {text}");
        for c in certs {
            let (tbs, issuer, _, _, sig) = cert_parts(&pem_der(c));
            assert_eq!(issuer, ca_subject, "{who}: issuer is the CA's subject");
            let pk = aws_lc_rs::signature::UnparsedPublicKey::new(
                &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
                &ca_key,
            );
            pk.verify(&tbs, &sig)
                .unwrap_or_else(|_| panic!("{who}: leaf signature verifies with the CA key"));
        }
    }
}
