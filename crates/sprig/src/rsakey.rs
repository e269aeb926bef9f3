//! RSA-2048 key generation on aws-lc's bignums, about twice as fast as aws-lc's own keygen.
//!
//! Why our own prime search: a Cilium render with Hubble TLS spends most of its time making
//! RSA keys. aws-lc draws a fresh random candidate for every try and trial-divides each one in
//! constant time; most of a key's cost is that trial division plus Miller-Rabin rounds on
//! candidates a larger sieve would have excluded. Here a random 1024-bit start is sieved once
//! against every odd prime below 2^16 (and against `p ≡ 1 mod 65537`, so `gcd(p-1, e) = 1`),
//! then the survivors are tested in order, two at a time: a base-2 Fermat test rejects almost
//! every composite, and what passes gets Miller-Rabin rounds with random bases (FIPS 186-4
//! C.3.1). aws-lc's `BN_primality_test` would spend 16 rounds on every prime to blind their
//! count; ours run a fixed six. Every exponentiation is aws-lc's constant-time two-way one,
//! which runs two 1024-bit exponentiations side by side on AVX-512 IFMA CPUs.
//! Randomness is aws-lc's DRBG.
//! The two primes of a key are independent, so callers may search them on separate threads.

use aws_lc_sys as lc;
use std::os::raw::c_int;
use std::sync::OnceLock;

/// Prime size in bytes (RSA-2048: two 1024-bit primes).
pub const PRIME_BYTES: usize = 128;
/// Candidates examined per random start: a 1024-bit prime lies within 2·4096 of a random
/// start with probability 1 - e^(-8192/710) > 99.99 %; otherwise a new start is drawn.
const WINDOW: usize = 4096;
const SIEVE_LIMIT: u32 = 1 << 16;
const E: u64 = 65537;

/// Odd primes below 2^16, grouped so each group's product fits in a u64 (one bignum
/// reduction per group instead of one per prime).
struct SmallPrimes {
    primes: Vec<u32>,
    /// (product, index of the group's first prime, count)
    groups: Vec<(u64, usize, usize)>,
}

fn small_primes() -> &'static SmallPrimes {
    static SP: OnceLock<SmallPrimes> = OnceLock::new();
    SP.get_or_init(|| {
        let n = SIEVE_LIMIT as usize;
        let mut composite = vec![false; n];
        let mut primes = Vec::new();
        for i in 3..n {
            if i % 2 == 1 && !composite[i] {
                primes.push(i as u32);
                let mut j = i * i;
                while j < n {
                    composite[j] = true;
                    j += i;
                }
            }
        }
        let mut groups = Vec::new();
        let mut start = 0;
        while start < primes.len() {
            let mut prod: u64 = 1;
            let mut k = start;
            while k < primes.len() {
                match prod.checked_mul(primes[k] as u64) {
                    Some(p) => {
                        prod = p;
                        k += 1;
                    }
                    None => break,
                }
            }
            groups.push((prod, start, k - start));
            start = k;
        }
        SmallPrimes { primes, groups }
    })
}

/// `n mod m` for a big-endian byte string.
fn mod_u64(be: &[u8], m: u64) -> u64 {
    let mut r: u128 = 0;
    for chunk in be.chunks(8) {
        let mut limb = 0u64;
        for b in chunk {
            limb = (limb << 8) | *b as u64;
        }
        r = ((r << (8 * chunk.len())) | limb as u128) % m as u128;
    }
    r as u64
}

/// An owned aws-lc BIGNUM (freed, and cleared by aws-lc's allocator, on drop).
pub struct BigNum(*mut lc::BIGNUM);

impl BigNum {
    pub fn new() -> Result<BigNum, String> {
        // SAFETY: BN_new returns an owned, initialised BIGNUM or null.
        let p = unsafe { lc::BN_new() };
        if p.is_null() {
            Err("out of memory".into())
        } else {
            Ok(BigNum(p))
        }
    }
    pub fn from_be(b: &[u8]) -> Result<BigNum, String> {
        // SAFETY: reads exactly b.len() bytes; returns a new BIGNUM or null.
        let p = unsafe { lc::BN_bin2bn(b.as_ptr(), b.len(), std::ptr::null_mut()) };
        if p.is_null() {
            Err("out of memory".into())
        } else {
            Ok(BigNum(p))
        }
    }
    pub fn ptr(&self) -> *mut lc::BIGNUM {
        self.0
    }
}

impl Drop for BigNum {
    fn drop(&mut self) {
        // SAFETY: self.0 came from BN_new/BN_bin2bn and is freed once.
        unsafe { lc::BN_free(self.0) }
    }
}

/// A BN_CTX owned by one thread.
pub struct BnCtx(*mut lc::BN_CTX);

impl BnCtx {
    pub fn new() -> Result<BnCtx, String> {
        // SAFETY: returns an owned context or null.
        let p = unsafe { lc::BN_CTX_new() };
        if p.is_null() {
            Err("out of memory".into())
        } else {
            Ok(BnCtx(p))
        }
    }
    pub fn ptr(&self) -> *mut lc::BN_CTX {
        self.0
    }
}

impl Drop for BnCtx {
    fn drop(&mut self) {
        // SAFETY: freed once.
        unsafe { lc::BN_CTX_free(self.0) }
    }
}

fn check(ok: c_int, what: &str) -> Result<(), String> {
    if ok == 1 {
        Ok(())
    } else {
        Err(format!("error generating RSA key: {what} failed"))
    }
}

/// One random 1024-bit prime p with the top two bits set (so p·q has exactly 2048 bits and
/// p > √2·2^1023) and gcd(p-1, 65537) = 1; big-endian, 128 bytes.
pub fn gen_prime() -> Result<Vec<u8>, String> {
    gen_prime_until(&|| false).map(|p| p.expect("never stopped"))
}

/// [`gen_prime`] that gives up (`Ok(None)`) as soon as `stop` says so, checked between
/// candidates (a millisecond or two apart), so an abandoned search ends at once.
pub fn gen_prime_until(stop: &dyn Fn() -> bool) -> Result<Option<Vec<u8>>, String> {
    let sp = small_primes();
    let ctx = BnCtx::new()?;
    let mut marks = vec![false; WINDOW];
    let mut start = [0u8; PRIME_BYTES];
    loop {
        if stop() {
            return Ok(None);
        }
        // SAFETY: fills exactly PRIME_BYTES bytes.
        check(
            unsafe { lc::RAND_bytes(start.as_mut_ptr(), PRIME_BYTES) },
            "RAND_bytes",
        )?;
        start[0] |= 0xc0;
        start[PRIME_BYTES - 1] |= 1;
        marks.iter_mut().for_each(|m| *m = false);
        // start + 2k ≡ 0 (mod p)  ⇔  k ≡ -r·2⁻¹ (mod p)
        for &(prod, first, count) in &sp.groups {
            let r_group = mod_u64(&start, prod);
            for &p in &sp.primes[first..first + count] {
                let p = p as u64;
                let r = r_group % p;
                let mut k = ((p - r) % p) * p.div_ceil(2) % p;
                while (k as usize) < WINDOW {
                    marks[k as usize] = true;
                    k += p;
                }
            }
        }
        // start + 2k ≡ 1 (mod e) would make e divide p-1
        let r = mod_u64(&start, E);
        let mut k = ((1 + E - r) % E) * E.div_ceil(2) % E;
        while (k as usize) < WINDOW {
            marks[k as usize] = true;
            k += E;
        }
        let survivors: Vec<usize> = (0..WINDOW).filter(|&k| !marks[k]).collect();
        // survivors in pairs: one two-way exponentiation tests both
        for pair in survivors.chunks(2) {
            if stop() {
                return Ok(None);
            }
            let (k0, k1) = (pair[0], *pair.last().unwrap_or(&pair[0]));
            let (c0, c1) = (add_small(&start, 2 * k0), add_small(&start, 2 * k1));
            let (Some(c0), Some(c1)) = (c0, c1) else {
                break; // ran past 2^1024: draw a new start
            };
            let (f0, f1) = fermat2_x2(&ctx, &c0, &c1)?;
            for (c, passed) in [(c0, f0), (c1, f1)] {
                if passed && miller_rabin(&ctx, &c)? {
                    start.fill(0);
                    return Ok(Some(c.to_vec()));
                }
            }
        }
    }
}

/// `start + add` as 128 big-endian bytes, or None if it no longer fits in 1024 bits.
fn add_small(start: &[u8; PRIME_BYTES], add: usize) -> Option<[u8; PRIME_BYTES]> {
    let mut out = *start;
    let mut carry = add as u64;
    for b in out.iter_mut().rev() {
        if carry == 0 {
            break;
        }
        let v = *b as u64 + (carry & 0xff);
        *b = v as u8;
        carry = (carry >> 8) + (v >> 8);
    }
    (carry == 0 && out[0] & 0xc0 == 0xc0).then_some(out)
}

/// A BIGNUM of exactly 16 words (the width aws-lc's two-way AVX-512 exponentiation needs).
fn bn_1024(be: &[u8; PRIME_BYTES]) -> Result<BigNum, String> {
    BigNum::from_be(be)
}

/// `be - 1 >> shift` for an odd `be`, as 128 bytes.
fn odd_part_minus_one(be: &[u8; PRIME_BYTES]) -> ([u8; PRIME_BYTES], u32) {
    let mut w1 = *be;
    w1[PRIME_BYTES - 1] &= 0xfe;
    let mut shift = 0u32;
    for b in w1.iter().rev() {
        if *b == 0 {
            shift += 8;
        } else {
            shift += b.trailing_zeros();
            break;
        }
    }
    let (bytes, bits) = ((shift / 8) as usize, shift % 8);
    let mut m = [0u8; PRIME_BYTES];
    for i in (0..PRIME_BYTES).rev() {
        let src = i as isize - bytes as isize;
        if src < 0 {
            break;
        }
        let lo = w1[src as usize] as u16;
        let hi = if src > 0 {
            w1[src as usize - 1] as u16
        } else {
            0
        };
        m[i] = (((hi << 8) | lo) >> bits) as u8;
    }
    (m, shift)
}

/// `(a0^e0 mod m0, a1^e1 mod m1)` in one call: aws-lc runs the two 1024-bit exponentiations
/// side by side on AVX-512 IFMA (about twice the throughput), or one after the other elsewhere.
/// Constant time either way.
fn mod_exp_x2(
    ctx: &BnCtx,
    a: [&BigNum; 2],
    e: [&BigNum; 2],
    m: [&BigNum; 2],
) -> Result<[BigNum; 2], String> {
    let r = [BigNum::new()?, BigNum::new()?];
    // SAFETY: all BIGNUMs are live and owned by the caller or here; the Montgomery contexts
    // are created for these moduli and freed before returning.
    unsafe {
        let c = ctx.ptr();
        let m0 = lc::BN_MONT_CTX_new_for_modulus(m[0].ptr(), c);
        let m1 = lc::BN_MONT_CTX_new_for_modulus(m[1].ptr(), c);
        let ok = !m0.is_null()
            && !m1.is_null()
            && lc::BN_mod_exp_mont_consttime_x2(
                r[0].ptr(),
                a[0].ptr(),
                e[0].ptr(),
                m[0].ptr(),
                m0,
                r[1].ptr(),
                a[1].ptr(),
                e[1].ptr(),
                m[1].ptr(),
                m1,
                c,
            ) == 1;
        lc::BN_MONT_CTX_free(m0);
        lc::BN_MONT_CTX_free(m1);
        check(ok as c_int, "BN_mod_exp_mont_consttime_x2")?;
    }
    Ok(r)
}

/// Fermat test to base 2 of two candidates at once: composites almost all fail it, and it
/// costs one exponentiation; what passes is then proven by `miller_rabin`.
fn fermat2_x2(
    ctx: &BnCtx,
    c0: &[u8; PRIME_BYTES],
    c1: &[u8; PRIME_BYTES],
) -> Result<(bool, bool), String> {
    let mut two = [0u8; PRIME_BYTES];
    two[PRIME_BYTES - 1] = 2;
    let two = bn_1024(&two)?;
    let (m0, m1) = (bn_1024(c0)?, bn_1024(c1)?);
    let mut e0 = *c0;
    e0[PRIME_BYTES - 1] &= 0xfe;
    let mut e1 = *c1;
    e1[PRIME_BYTES - 1] &= 0xfe;
    let (e0, e1) = (bn_1024(&e0)?, bn_1024(&e1)?);
    let [r0, r1] = mod_exp_x2(ctx, [&two, &two], [&e0, &e1], [&m0, &m1])?;
    // SAFETY: live BIGNUMs.
    unsafe { Ok((lc::BN_is_one(r0.ptr()) == 1, lc::BN_is_one(r1.ptr()) == 1)) }
}

/// Miller-Rabin rounds with random bases (FIPS 186-4 C.3.1), two rounds per two-way
/// exponentiation. Six rounds: aws-lc asks five for primes of this size (FIPS 186-4 Table C.2
/// asks four for 1024-bit RSA primes); the base-2 Fermat test before it is a seventh filter.
const MR_ROUNDS: usize = 6;

fn miller_rabin(ctx: &BnCtx, w: &[u8; PRIME_BYTES]) -> Result<bool, String> {
    let (m, a) = odd_part_minus_one(w);
    let (wb, mb) = (bn_1024(w)?, bn_1024(&m)?);
    let w1 = BigNum::new()?;
    // SAFETY: live BIGNUMs owned here.
    unsafe {
        if lc::BN_copy(w1.ptr(), wb.ptr()).is_null() {
            return Err("error generating RSA key: BN_copy failed".into());
        }
        check(lc::BN_sub_word(w1.ptr(), 1), "BN_sub_word")?;
    }
    for _ in 0..MR_ROUNDS / 2 {
        let mut bases = [[0u8; PRIME_BYTES]; 2];
        for b in bases.iter_mut() {
            loop {
                // SAFETY: fills exactly PRIME_BYTES bytes.
                check(
                    unsafe { lc::RAND_bytes(b.as_mut_ptr(), PRIME_BYTES) },
                    "RAND_bytes",
                )?;
                // below 2^1023 < w - 1 (w has its top two bits set); at least 2
                b[0] &= 0x7f;
                if b[..PRIME_BYTES - 1].iter().any(|&x| x != 0) || b[PRIME_BYTES - 1] >= 2 {
                    break;
                }
            }
        }
        let (b0, b1) = (bn_1024(&bases[0])?, bn_1024(&bases[1])?);
        for z in mod_exp_x2(ctx, [&b0, &b1], [&mb, &mb], [&wb, &wb])? {
            // SAFETY: live BIGNUMs; z is reduced mod w.
            let witness = unsafe {
                let mut probable =
                    lc::BN_is_one(z.ptr()) == 1 || lc::BN_cmp(z.ptr(), w1.ptr()) == 0;
                for _ in 1..a {
                    if probable {
                        break;
                    }
                    check(
                        lc::BN_mod_sqr(z.ptr(), z.ptr(), wb.ptr(), ctx.ptr()),
                        "BN_mod_sqr",
                    )?;
                    if lc::BN_is_one(z.ptr()) == 1 {
                        break; // a non-trivial square root of 1: composite
                    }
                    probable = lc::BN_cmp(z.ptr(), w1.ptr()) == 0;
                }
                !probable
            };
            if witness {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// Whether two primes may form a key: FIPS 186-4 asks |p - q| > 2^(nlen/2 - 100); with
/// 1024-bit primes it is enough that their top 100 bits differ.
pub fn distinct_enough(p: &[u8], q: &[u8]) -> bool {
    p[..12] != q[..12] || (p[12] >> 4) != (q[12] >> 4)
}

/// The PKCS#1 RSAPrivateKey DER for primes p and q (e = 65537, d = e⁻¹ mod lcm(p-1, q-1)),
/// checked by aws-lc's `RSA_check_key` before it is returned.
pub fn rsa_from_primes(p: &[u8], q: &[u8]) -> Result<Vec<u8>, String> {
    let ctx = BnCtx::new()?;
    let (p, q) = if p > q { (p, q) } else { (q, p) };
    let (p, q) = (BigNum::from_be(p)?, BigNum::from_be(q)?);
    let (n, e, d) = (BigNum::new()?, BigNum::new()?, BigNum::new()?);
    let (p1, q1, g, phi, lambda) = (
        BigNum::new()?,
        BigNum::new()?,
        BigNum::new()?,
        BigNum::new()?,
        BigNum::new()?,
    );
    let (dmp1, dmq1, iqmp) = (BigNum::new()?, BigNum::new()?, BigNum::new()?);
    // SAFETY: every pointer is a live BIGNUM owned by this function; outputs are distinct
    // from inputs; the RSA object and the DER buffer are freed before returning.
    unsafe {
        let c = ctx.ptr();
        check(lc::BN_set_word(e.ptr(), E as lc::BN_ULONG), "BN_set_word")?;
        check(lc::BN_mul(n.ptr(), p.ptr(), q.ptr(), c), "BN_mul")?;
        if lc::BN_copy(p1.ptr(), p.ptr()).is_null() || lc::BN_copy(q1.ptr(), q.ptr()).is_null() {
            return Err("error generating RSA key: BN_copy failed".into());
        }
        check(lc::BN_sub_word(p1.ptr(), 1), "BN_sub_word")?;
        check(lc::BN_sub_word(q1.ptr(), 1), "BN_sub_word")?;
        check(lc::BN_gcd(g.ptr(), p1.ptr(), q1.ptr(), c), "BN_gcd")?;
        check(lc::BN_mul(phi.ptr(), p1.ptr(), q1.ptr(), c), "BN_mul")?;
        check(
            lc::BN_div(lambda.ptr(), std::ptr::null_mut(), phi.ptr(), g.ptr(), c),
            "BN_div",
        )?;
        if lc::BN_mod_inverse(d.ptr(), e.ptr(), lambda.ptr(), c).is_null() {
            return Err("error generating RSA key: e is not invertible".into());
        }
        check(lc::BN_nnmod(dmp1.ptr(), d.ptr(), p1.ptr(), c), "BN_nnmod")?;
        check(lc::BN_nnmod(dmq1.ptr(), d.ptr(), q1.ptr(), c), "BN_nnmod")?;
        if lc::BN_mod_inverse(iqmp.ptr(), q.ptr(), p.ptr(), c).is_null() {
            return Err("error generating RSA key: q is not invertible mod p".into());
        }
        let rsa = lc::RSA_new_private_key(
            n.ptr(),
            e.ptr(),
            d.ptr(),
            p.ptr(),
            q.ptr(),
            dmp1.ptr(),
            dmq1.ptr(),
            iqmp.ptr(),
        );
        if rsa.is_null() {
            return Err("error generating RSA key: RSA_new_private_key failed".into());
        }
        let mut out: *mut u8 = std::ptr::null_mut();
        let mut len = 0usize;
        let ok = lc::RSA_check_key(rsa) == 1
            && lc::RSA_private_key_to_bytes(&mut out, &mut len, rsa) == 1;
        lc::RSA_free(rsa);
        if !ok || out.is_null() {
            return Err("error generating RSA key: key check failed".into());
        }
        let der = std::slice::from_raw_parts(out, len).to_vec();
        lc::OPENSSL_free(out.cast());
        Ok(der)
    }
}

/// A fresh RSA-2048 key as PKCS#8 DER, its two primes searched one after the other.
pub fn generate_pkcs8() -> Result<Vec<u8>, String> {
    let p = gen_prime()?;
    let mut q = gen_prime()?;
    while !distinct_enough(&p, &q) {
        q = gen_prime()?;
    }
    rsa_from_primes(&p, &q).map(|k| pkcs8_from_pkcs1(&k))
}

/// One DER element (tag, definite length, content).
pub fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = content.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let len = n.to_be_bytes();
        let skip = len.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (len.len() - skip) as u8);
        out.extend_from_slice(&len[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// PKCS#8 PrivateKeyInfo (version 0, rsaEncryption with NULL parameters) around a PKCS#1 key.
pub fn pkcs8_from_pkcs1(pkcs1: &[u8]) -> Vec<u8> {
    const RSA_ALG: [u8; 15] = [
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    ];
    let mut body = vec![0x02, 0x01, 0x00];
    body.extend_from_slice(&RSA_ALG);
    body.extend(der(0x04, pkcs1));
    der(0x30, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_primes_are_the_odd_primes_below_2_16() {
        let sp = small_primes();
        // π(65536) = 6542, minus the prime 2
        assert_eq!(sp.primes.len(), 6541);
        assert_eq!(sp.primes[..5], [3, 5, 7, 11, 13]);
        assert_eq!(*sp.primes.last().unwrap(), 65521);
        let covered: usize = sp.groups.iter().map(|g| g.2).sum();
        assert_eq!(covered, sp.primes.len());
        for &(prod, first, count) in &sp.groups {
            let expect = sp.primes[first..first + count]
                .iter()
                .fold(1u128, |a, p| a * *p as u128);
            assert_eq!(prod as u128, expect);
        }
    }

    #[test]
    fn mod_u64_agrees_with_aws_lc() {
        let mut buf = [0u8; PRIME_BYTES];
        for m in [3u64, 65537, 0xffff_ffff_ffff_ffc5, 255 * 257 * 65521] {
            aws_lc_rs::rand::fill(&mut buf).unwrap();
            let bn = BigNum::from_be(&buf).unwrap();
            // SAFETY: bn is a live BIGNUM
            let want = unsafe { lc::BN_mod_word(bn.ptr(), m as lc::BN_ULONG) } as u64;
            assert_eq!(mod_u64(&buf, m), want, "mod {m}");
        }
    }

    #[test]
    fn primes_are_prime_sized_and_coprime_to_e() {
        let ctx = BnCtx::new().unwrap();
        for _ in 0..4 {
            let p = gen_prime().unwrap();
            assert_eq!(p.len(), PRIME_BYTES);
            assert!(p[0] >= 0xc0, "top two bits set");
            let bn = BigNum::from_be(&p).unwrap();
            let mut is_prime = 0;
            // SAFETY: live BIGNUM and context; 64 rounds, independent of the search's count
            let ok = unsafe {
                lc::BN_primality_test(
                    &mut is_prime,
                    bn.ptr(),
                    lc::BN_prime_checks,
                    ctx.ptr(),
                    1,
                    std::ptr::null_mut(),
                )
            };
            assert_eq!((ok, is_prime), (1, 1));
            assert_ne!(mod_u64(&p, E), 1, "e must not divide p-1");
        }
    }

    #[test]
    fn odd_part_and_carry_arithmetic() {
        let mut w = [0u8; PRIME_BYTES];
        w[0] = 0xc3;
        w[PRIME_BYTES - 2] = 0x01;
        w[PRIME_BYTES - 1] = 0x01; // w - 1 = 0xc3 00.. 01 00 = 2^8 · (0xc3 00.. 01)
        let (m, a) = odd_part_minus_one(&w);
        assert_eq!(a, 8);
        assert_eq!(m[PRIME_BYTES - 1], 0x01);
        assert_eq!(&m[..2], &[0x00, 0xc3]);
        let mut s = [0xffu8; PRIME_BYTES];
        s[0] = 0xc0;
        let sum = add_small(&s, 2).unwrap();
        assert_eq!((sum[0], sum[1], sum[PRIME_BYTES - 1]), (0xc1, 0x00, 0x01));
        assert!(add_small(&[0xff; PRIME_BYTES], 2).is_none(), "past 2^1024");
    }

    #[test]
    fn miller_rabin_rejects_products_and_accepts_primes() {
        let ctx = BnCtx::new().unwrap();
        for _ in 0..3 {
            // a 1024-bit odd composite with no small factors: p·q of two 512-bit primes
            let (p, q, n) = (
                BigNum::new().unwrap(),
                BigNum::new().unwrap(),
                BigNum::new().unwrap(),
            );
            let mut be = [0u8; PRIME_BYTES];
            // SAFETY: live BIGNUMs and context.
            unsafe {
                for x in [&p, &q] {
                    let ok = lc::BN_generate_prime_ex(
                        x.ptr(),
                        512,
                        0,
                        std::ptr::null(),
                        std::ptr::null(),
                        std::ptr::null_mut(),
                    );
                    assert_eq!(ok, 1);
                }
                assert_eq!(lc::BN_mul(n.ptr(), p.ptr(), q.ptr(), ctx.ptr()), 1);
                assert_eq!(
                    lc::BN_bn2bin_padded(be.as_mut_ptr(), PRIME_BYTES, n.ptr()),
                    1
                );
            }
            assert!(!miller_rabin(&ctx, &be).unwrap(), "p·q is composite");
            let prime: [u8; PRIME_BYTES] = gen_prime().unwrap().try_into().unwrap();
            assert!(miller_rabin(&ctx, &prime).unwrap());
            assert_eq!(fermat2_x2(&ctx, &be, &prime).unwrap(), (false, true));
        }
    }

    #[test]
    fn keys_sign_and_verify_and_parse_as_2048_bit_rsa() {
        use aws_lc_rs::signature::{self, KeyPair};
        let p8 = generate_pkcs8().unwrap();
        let kp = signature::RsaKeyPair::from_pkcs8(&p8).unwrap();
        assert_eq!(kp.public_modulus_len(), 256);
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let mut sig = vec![0u8; kp.public_modulus_len()];
        kp.sign(&signature::RSA_PKCS1_SHA256, &rng, b"podnet", &mut sig)
            .unwrap();
        let public = signature::UnparsedPublicKey::new(
            &signature::RSA_PKCS1_2048_8192_SHA256,
            kp.public_key().as_ref(),
        );
        public.verify(b"podnet", &sig).unwrap();
        // two keys never share a modulus
        let other = signature::RsaKeyPair::from_pkcs8(&generate_pkcs8().unwrap()).unwrap();
        assert_ne!(kp.public_key().as_ref(), other.public_key().as_ref());
    }

    #[test]
    fn close_primes_are_rejected() {
        let p = [0xc5u8; PRIME_BYTES];
        let mut q = p;
        q[PRIME_BYTES - 1] ^= 2;
        assert!(!distinct_enough(&p, &q));
        q[11] ^= 1;
        assert!(distinct_enough(&p, &q));
    }
}
