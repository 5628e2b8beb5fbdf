//! The byte layout of batches crossing the N-API boundary: little-endian integers and
//! length-prefixed strings, mirrored by `src/native/codec.ts`. One Buffer in, one Buffer out
//! per SQS call, so a batch of ten crosses once instead of once per field.

pub struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
}

/// A malformed batch is a bug in the control plane, not user input.
#[derive(Debug)]
pub struct Malformed;

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, at: 0 }
    }
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], Malformed> {
        let end = self.at.checked_add(n).ok_or(Malformed)?;
        let s = self.buf.get(self.at..end).ok_or(Malformed)?;
        self.at = end;
        Ok(s)
    }
    pub fn u8(&mut self) -> Result<u8, Malformed> {
        Ok(self.bytes(1)?[0])
    }
    pub fn u32(&mut self) -> Result<u32, Malformed> {
        Ok(u32::from_le_bytes(self.bytes(4)?.try_into().map_err(|_| Malformed)?))
    }
    pub fn i32(&mut self) -> Result<i32, Malformed> {
        Ok(i32::from_le_bytes(self.bytes(4)?.try_into().map_err(|_| Malformed)?))
    }
    pub fn md5(&mut self) -> Result<[u8; 16], Malformed> {
        self.bytes(16)?.try_into().map_err(|_| Malformed)
    }
    /// u32 length, then bytes.
    pub fn blob(&mut self) -> Result<&'a [u8], Malformed> {
        let n = self.u32()? as usize;
        self.bytes(n)
    }
    /// A blob that must be UTF-8; empty means absent.
    pub fn opt_str(&mut self) -> Result<Option<&'a str>, Malformed> {
        let b = self.blob()?;
        if b.is_empty() {
            return Ok(None);
        }
        std::str::from_utf8(b).map(Some).map_err(|_| Malformed)
    }
    pub fn done(&self) -> bool {
        self.at == self.buf.len()
    }
}

#[derive(Default)]
pub struct Writer {
    pub buf: Vec<u8>,
}

impl Writer {
    pub fn with_capacity(n: usize) -> Self {
        Self { buf: Vec::with_capacity(n) }
    }
    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn i32(&mut self, v: i32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn f64(&mut self, v: f64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn blob(&mut self, b: &[u8]) {
        self.u32(u32::try_from(b.len()).expect("blobs are bounded by the message size limit"));
        self.buf.extend_from_slice(b);
    }
    pub fn opt_str(&mut self, s: Option<&str>) {
        self.blob(s.map_or(&[][..], str::as_bytes));
    }
}

/// 8-4-4-4-12 hex, as AWS writes message ids.
pub fn uuid(b: &[u8; 16]) -> String {
    let h = sluice_core::receipt::hex(b);
    let mut s = String::with_capacity(36);
    for (i, part) in [&h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32]].into_iter().enumerate() {
        if i > 0 {
            s.push('-');
        }
        s.push_str(part);
    }
    s
}
