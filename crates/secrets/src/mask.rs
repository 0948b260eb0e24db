//! Masking: every occurrence of a secret's value in what a run produced is
//! replaced by `***` — in whole texts and JSON values ([`Masker`]), and in
//! output as it streams ([`StreamMask`]), where a value may be split
//! across two chunks: the tail of a chunk that could be the start of a
//! value is held back until the next chunk (or the end) decides.

use serde_json::Value;

/// What a masked value is replaced by.
pub const MASK: &str = "***";

/// The values to hide. Longer values are matched first, so a value that
/// contains another is hidden whole.
#[derive(Clone, Debug)]
pub struct Masker {
    values: Vec<Vec<u8>>,
    /// For each byte, whether some value starts with it: most bytes of an
    /// output start no value and are passed on after one lookup.
    starts: [bool; 256],
}

impl Default for Masker {
    fn default() -> Self {
        Self::new([])
    }
}

impl Masker {
    pub fn new<'a>(values: impl IntoIterator<Item = &'a str>) -> Self {
        let mut values: Vec<Vec<u8>> = values
            .into_iter()
            .filter(|v| !v.is_empty())
            .map(|v| v.as_bytes().to_vec())
            .collect();
        values.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        values.dedup();
        let mut starts = [false; 256];
        for value in &values {
            starts[usize::from(value[0])] = true;
        }
        Self { values, starts }
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub fn mask_str(&self, text: &str) -> String {
        if self.is_empty() {
            return text.to_owned();
        }
        let (masked, _) = self.scan(text.as_bytes(), true);
        // Only whole values (valid UTF-8 each) were replaced by ASCII.
        String::from_utf8(masked).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into())
    }

    /// Masks one whole message (a log line): nothing is held back for the
    /// next one, which is a different message.
    pub fn mask_bytes(&self, bytes: &[u8]) -> Vec<u8> {
        if self.is_empty() {
            return bytes.to_vec();
        }
        self.scan(bytes, true).0
    }

    /// Masks every string in `value` (keys included), in place.
    pub fn mask_json(&self, value: &mut Value) {
        if self.is_empty() {
            return;
        }
        match value {
            Value::String(text) => *text = self.mask_str(text),
            Value::Array(items) => items.iter_mut().for_each(|item| self.mask_json(item)),
            Value::Object(map) => {
                let masked_keys = map.keys().any(|k| self.mask_str(k) != *k);
                if masked_keys {
                    let entries = std::mem::take(map);
                    for (key, mut item) in entries {
                        self.mask_json(&mut item);
                        map.insert(self.mask_str(&key), item);
                    }
                } else {
                    map.values_mut().for_each(|item| self.mask_json(item));
                }
            }
            _ => {}
        }
    }

    /// A masker for one stream of chunks.
    pub fn stream(&self) -> StreamMask {
        StreamMask {
            masker: self.clone(),
            held: Vec::new(),
        }
    }

    /// Replaces whole values in `bytes`. With `at_end` false, a tail that
    /// is a proper prefix of some value is not emitted: its length is
    /// returned, for the caller to keep.
    fn scan(&self, bytes: &[u8], at_end: bool) -> (Vec<u8>, usize) {
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        'outer: while i < bytes.len() {
            if !self.starts[usize::from(bytes[i])] {
                out.push(bytes[i]);
                i += 1;
                continue;
            }
            let rest = &bytes[i..];
            for value in &self.values {
                if rest.starts_with(value) {
                    out.extend_from_slice(MASK.as_bytes());
                    i += value.len();
                    continue 'outer;
                }
            }
            if !at_end
                && self
                    .values
                    .iter()
                    .any(|v| v.len() > rest.len() && v.starts_with(rest))
            {
                return (out, rest.len());
            }
            out.push(bytes[i]);
            i += 1;
        }
        (out, 0)
    }
}

/// Masks a stream chunk by chunk.
#[derive(Debug)]
pub struct StreamMask {
    masker: Masker,
    held: Vec<u8>,
}

impl StreamMask {
    /// What can be released of `chunk` (after what was held back), masked.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<u8> {
        if self.masker.is_empty() {
            return chunk.to_vec();
        }
        let mut bytes = std::mem::take(&mut self.held);
        bytes.extend_from_slice(chunk);
        let (out, held) = self.masker.scan(&bytes, false);
        self.held = bytes[bytes.len() - held..].to_vec();
        out
    }

    /// The end of the stream: what was held back, masked.
    pub fn finish(&mut self) -> Vec<u8> {
        let bytes = std::mem::take(&mut self.held);
        self.masker.scan(&bytes, true).0
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_whole_message_is_masked_and_nothing_held_back() {
        let masker = Masker::new(["s3cr3t"]);
        // The stream mask would hold back "s3c"; a log line is emitted whole.
        assert_eq!(
            masker.mask_bytes(b"got s3cr3t then s3c"),
            b"got *** then s3c"
        );
        let mut stream = masker.stream();
        assert_eq!(stream.push(b"got s3cr3t then s3c"), b"got *** then ");
    }

    #[test]
    fn whole_values_are_masked_longest_first() {
        let masker = Masker::new(["s3cr3t", "s3cr3t-and-more", "tok"]);
        assert_eq!(
            masker.mask_str("a s3cr3t-and-more b s3cr3t c tok s3cr"),
            "a *** b *** c *** s3cr"
        );
        assert_eq!(Masker::new([]).mask_str("s3cr3t"), "s3cr3t");
        assert_eq!(masker.mask_str("ééé s3cr3té"), "ééé ***é");
    }

    #[test]
    fn json_strings_and_keys_are_masked() {
        let masker = Masker::new(["hunter22"]);
        let mut value =
            json!({"a": ["x hunter22 y", 3, {"hunter22": "hunter22"}], "b": null, "c": "clean"});
        masker.mask_json(&mut value);
        assert_eq!(
            value,
            json!({"a": ["x *** y", 3, {"***": "***"}], "b": null, "c": "clean"})
        );
    }

    #[test]
    fn a_value_split_across_chunks_is_masked() {
        let masker = Masker::new(["ghp_abcdef"]);
        for split in 1..10 {
            let text = b"token=ghp_abcdef done";
            let at = "token=".len() + split;
            let mut stream = masker.stream();
            let mut out = stream.push(&text[..at]);
            out.extend(stream.push(&text[at..]));
            out.extend(stream.finish());
            assert_eq!(out, b"token=*** done", "split after {split}");
        }
        // Byte by byte.
        let mut stream = masker.stream();
        let mut out = Vec::new();
        for byte in b"xxghp_abcdefghp_abcdeghp_abcdef!" {
            out.extend(stream.push(&[*byte]));
        }
        out.extend(stream.finish());
        assert_eq!(out, b"xx***ghp_abcde***!");
    }

    #[test]
    fn a_held_tail_that_never_completes_is_released() {
        let masker = Masker::new(["password1"]);
        let mut stream = masker.stream();
        assert_eq!(stream.push(b"the pass"), b"the ");
        assert_eq!(stream.push(b"port"), b"passport");
        assert_eq!(stream.push(b" passw"), b" ");
        assert_eq!(stream.finish(), b"passw");
    }
}
