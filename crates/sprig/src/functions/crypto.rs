//! Sprig's crypto, key and certificate functions, and the URL helpers.

use super::helpers::*;

/// The function `name` if it is one of this module's: `Ok(None)` when it is not.
pub(super) fn call(
    keys: Option<&KeyPool>,
    _st: &mut State,
    name: &str,
    a: &[Value],
) -> Result<Option<Value>, TemplateError> {
    let args = Args(a);
    match name {
        // ---------- crypto
        "uuidv4" => str_v(crate::crypto::uuidv4()),
        "randAlphaNum" | "randAlpha" | "randNumeric" | "randAscii" => str_v(
            crate::crypto::rand_string(name, i_arg(&a[0]).max(0) as usize),
        ),
        "genPrivateKey" => crate::crypto::gen_private_key(keys, args.s(0)).map(Value::string),
        "genCA" => {
            let (c, k) = crate::crypto::gen_ca(keys, args.s(0), i_arg(&a[1]))?;
            Ok(cert_map(c, k))
        }
        "genSelfSignedCert" => {
            let (c, k) =
                crate::crypto::gen_self_signed(keys, args.s(0), &a[1], &a[2], i_arg(&a[3]))?;
            Ok(cert_map(c, k))
        }
        "genSignedCert" => {
            let ca = &a[4];
            let ca_cert = ca.get("Cert").map(|v| strval(&v)).unwrap_or_default();
            let ca_key = ca.get("Key").map(|v| strval(&v)).unwrap_or_default();
            let (c, k) = crate::crypto::gen_signed(
                keys,
                args.s(0),
                &a[1],
                &a[2],
                i_arg(&a[3]),
                &ca_cert,
                &ca_key,
            )?;
            Ok(cert_map(c, k))
        }
        "buildCustomCert" => {
            use base64::Engine;
            let e = base64::engine::general_purpose::STANDARD;
            let c = e
                .decode(args.s(0))
                .map_err(|_| TemplateError::new("unable to decode base64 certificate"))?;
            let k = e
                .decode(args.s(1))
                .map_err(|_| TemplateError::new("unable to decode base64 private key"))?;
            Ok(cert_map(
                String::from_utf8_lossy(&c).into_owned(),
                String::from_utf8_lossy(&k).into_owned(),
            ))
        }
        "htpasswd" => str_v(crate::sprigcrypto::htpasswd(args.s(0), args.s(1))),
        "bcrypt" => str_v(crate::sprigcrypto::bcrypt(args.s(0))),
        "derivePassword" => {
            let counter = i_arg(&a[0]) as u32;
            str_v(crate::sprigcrypto::derive_password(
                counter,
                args.s(1),
                args.s(2),
                args.s(3),
                args.s(4),
            ))
        }
        "encryptAES" => crate::sprigcrypto::encrypt_aes(args.s(0), args.s(1))
            .map(Value::string)
            .map_err(TemplateError::new),
        "decryptAES" => crate::sprigcrypto::decrypt_aes(args.s(0), args.s(1))
            .map(Value::string)
            .map_err(TemplateError::new),
        "genCAWithKey" => {
            let (c, k) = crate::crypto::gen_ca_with_key(args.s(0), i_arg(&a[1]), args.s(2))?;
            Ok(cert_map(c, k))
        }
        "genSelfSignedCertWithKey" => {
            let (c, k) = crate::crypto::gen_self_signed_with_key(
                args.s(0),
                &a[1],
                &a[2],
                i_arg(&a[3]),
                args.s(4),
            )?;
            Ok(cert_map(c, k))
        }
        "genSignedCertWithKey" => {
            let ca_cert = a[4].get("Cert").map(|v| strval(&v)).unwrap_or_default();
            let ca_key = a[4].get("Key").map(|v| strval(&v)).unwrap_or_default();
            let (c, k) = crate::crypto::gen_signed_with_key(
                args.s(0),
                &a[1],
                &a[2],
                i_arg(&a[3]),
                &ca_cert,
                &ca_key,
                args.s(5),
            )?;
            Ok(cert_map(c, k))
        }
        "getHostByName" => str_v(String::new()),
        "urlParse" => gotemplate::gourl::url_parse(args.s(0)).map_err(TemplateError::new),
        "urlJoin" => gotemplate::gourl::url_join(&a[0])
            .map(Value::string)
            .map_err(TemplateError::new),
        _ => return Ok(None),
    }
    .map(Some)
}
