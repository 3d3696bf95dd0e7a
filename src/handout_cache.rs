//! Handouts already made, kept between builds so that `build` makes again
//! only the handouts whose sources changed. The cache lives beside site.yaml
//! in `.movepress-cache/handouts/`, never in the output folder, and holds
//! only the public handouts of the site: `movepress handout`, which prints a
//! patient's name, never reads or writes it.
//!
//! Each entry is named by a hash of everything the handout shows (the
//! program or exercise, its exercises and pictures, site.yaml, the theme's
//! look, the movepress version and a fingerprint of the code that draws
//! handouts, made by build.rs), followed by a checksum of the PDF: a
//! damaged or cut-off entry is ignored and made again. An entry is the PDF
//! itself, byte for byte, so that a build can hard-link it into the output
//! instead of writing it again.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fs;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use crate::model::{Exercise, Program, Site};
use crate::render::pdf::HandoutOptions;

/// The cache folder, relative to the site folder.
pub const FOLDER: &str = ".movepress-cache/handouts";

/// The handout cache of one site.
pub struct HandoutCache {
    dir: PathBuf,
    /// Whether this run may add and remove entries (`check` only reads).
    writable: bool,
    /// The entries there were when the cache was opened: key -> file name.
    entries: HashMap<String, String>,
    /// Whether the folder held files that are not one entry per key when
    /// it was opened (a name without a key, a second entry for one key), or
    /// could not be listed whole: [`prune`] then lists it again to remove
    /// what this build did not use.
    ///
    /// [`prune`]: HandoutCache::prune
    strays: bool,
    /// Entries used by this build, by file name; the others are removed at the end.
    used: Mutex<HashSet<String>>,
    /// When the last build that wrote the cache ended (the time of its
    /// [`BUILT`] file), in nanoseconds since 1970.
    built: Option<u128>,
}

/// A file that the end of each build touches: entries written before its
/// time are trusted by their length and time.
const BUILT: &str = ".built";

/// A handout, from the cache or freshly made.
#[derive(Debug, PartialEq)]
pub struct Handout {
    /// The PDF, when it was made or had to be read to be checked: an entry
    /// found unchanged since it was stored is not read.
    pub pdf: Option<Vec<u8>>,
    /// The cache entry holding the same bytes, if there is one. There is
    /// always one when `pdf` is `None`.
    pub entry: Option<PathBuf>,
    /// Whether it came from the cache.
    pub cached: bool,
}

/// The keys of a site's handouts, from everything each shows: site.yaml and
/// the handout options, the logo, the program or exercise, each exercise's
/// pictures' bytes, and the addresses its internal links lead to (only
/// those: adding an exercise makes no other handout again).
pub struct Keys<'a> {
    site: &'a Site,
    /// site.yaml and the options, hashed once.
    shared: Vec<u8>,
    logo: Vec<u8>,
    /// Exercise slug -> everything its sheet shows, hashed once, though
    /// programs show it again.
    exercises: HashMap<&'a str, Vec<u8>>,
}

impl<'a> Keys<'a> {
    pub fn new(site: &'a Site, options: &HandoutOptions) -> Keys<'a> {
        use rayon::prelude::*;
        // (Not the feed's length, which no handout shows: changing it must
        // not make every handout again.)
        let config = crate::model::Config {
            feed_limit: 0,
            ..site.config.clone()
        };
        let shared = Sha256::digest(format!("{config:?}\n{options:?}")).to_vec();
        let read = |file: &str| fs::read(site.root.join("static").join(file)).unwrap_or_default();
        let logo = site
            .config
            .clinic
            .logo
            .as_deref()
            .map(read)
            .unwrap_or_default();
        // Each picture once: many exercises may show one.
        let sources: BTreeSet<&str> = site
            .exercises
            .iter()
            .flat_map(|e| e.images.iter().map(|i| i.src.as_str()))
            .collect();
        let pictures: HashMap<&str, Vec<u8>> = sources
            .into_par_iter()
            .map(|src| (src, Sha256::digest(read(src)).to_vec()))
            .collect();
        let exercises = site
            .exercises
            .par_iter()
            .with_max_len(crate::FILES_PER_TASK)
            .map(|exercise| {
                // (Hashed as it is written: no copy of the exercise's bytes.)
                let mut hash = hash_of(shown(exercise, &site.links, chunked()));
                for image in &exercise.images {
                    hash.update(pictures.get(image.src.as_str()).map_or(&[][..], |p| p));
                }
                (exercise.slug.as_str(), hash.finalize().to_vec())
            })
            .collect();
        Keys {
            site,
            shared,
            logo,
            exercises,
        }
    }

    /// The key of a program's handout.
    pub fn program(&self, program: &Program) -> Key {
        let steps = program.exercises.iter().map(|step| step.exercise.as_str());
        self.key(&shown(program, &self.site.links, Vec::new()), steps)
    }

    /// The key of an exercise's sheet.
    pub fn exercise(&self, exercise: &Exercise) -> Key {
        self.key(b"exercise", std::iter::once(exercise.slug.as_str()))
    }

    fn key<'s>(&self, shown: &[u8], exercises: impl Iterator<Item = &'s str>) -> Key {
        let mut key = Key::new();
        key.add(&self.shared).add(&self.logo).add(shown);
        for slug in exercises {
            key.add(self.exercises.get(slug).map_or(&[][..], |s| s));
        }
        key
    }
}

/// Everything a program or exercise holds, as bytes to hash (what its
/// `Hash` writes), followed by the addresses that the internal links
/// (`@/exercises/cat-cow.md`) written anywhere in its texts lead to, one
/// line each: moving a linked exercise makes the handout again. The bytes
/// go to `into` as they come.
fn shown<W: Write>(value: &impl Hash, links: &BTreeMap<String, String>, into: W) -> W {
    let mut shown = Shown {
        into,
        targets: Vec::new(),
    };
    value.hash(&mut shown);
    let Shown { mut into, targets } = shown;
    for target in targets {
        let link = links.get(&target).map_or("", String::as_str);
        // (Into memory or a hash: cannot fail.)
        let _ = writeln!(into, "{target}={link}");
    }
    into
}

/// SHA-256 as a writer. A `Hash` writes an exercise as thousands of pieces
/// of a few bytes, and handing each to the hash on its own costs more than
/// hashing the bytes: [`chunked`] gathers them a few kilobytes at a time.
struct HashWriter(Sha256);

impl Write for HashWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// How many bytes [`chunked`] gathers before it hashes them.
const CHUNK: usize = 4096;

/// A new SHA-256, fed [`CHUNK`] bytes at a time.
fn chunked() -> std::io::BufWriter<HashWriter> {
    std::io::BufWriter::with_capacity(CHUNK, HashWriter(Sha256::new()))
}

/// The hash of what was written into a [`chunked`] writer.
fn hash_of(mut written: std::io::BufWriter<HashWriter>) -> Sha256 {
    // (Hashing cannot fail.)
    let _ = written.flush();
    written.into_parts().0.0
}

/// A `Hasher` that hands on what it is given, and notes the internal link
/// targets in each text it is given: wherever Markdown may hold a link or
/// a picture. It may find more than the links a handout shows, never fewer.
struct Shown<W> {
    into: W,
    targets: Vec<String>,
}

impl<W: Write> Hasher for Shown<W> {
    fn write(&mut self, bytes: &[u8]) {
        // (Into memory or a hash: cannot fail.)
        let _ = self.into.write_all(bytes);
        // (Most pieces are a number or a single byte: no link in them.)
        let link = bytes.len() >= 2
            && memchr::memchr_iter(b'@', bytes).any(|at| bytes.get(at + 1) == Some(&b'/'));
        if link {
            let text = String::from_utf8_lossy(bytes);
            self.targets
                .extend(crate::content::links::targets_in(&text).map(str::to_string));
        }
    }

    /// Never used: the bytes are hashed with SHA-256.
    fn finish(&self) -> u64 {
        0
    }
}

/// Builds an entry's name from everything a handout shows.
pub struct Key(Sha256);

impl Key {
    pub fn new() -> Key {
        let mut hash = Sha256::new();
        hash.update(
            concat!(
                "movepress ",
                env!("CARGO_PKG_VERSION"),
                " ",
                env!("MOVEPRESS_HANDOUT_CODE"),
                "\n"
            )
            .as_bytes(),
        );
        Key(hash)
    }

    /// Adds one part; parts are separated, so ("ab", "c") differs from ("a", "bc").
    pub fn add(&mut self, part: &[u8]) -> &mut Key {
        self.0.update((part.len() as u64).to_le_bytes());
        self.0.update(part);
        self
    }

    fn finish(self) -> String {
        self.0
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

impl Default for Key {
    fn default() -> Self {
        Key::new()
    }
}

impl HandoutCache {
    /// The cache of the site in `root`. `writable: false` only reads it.
    pub fn open(root: &Path, writable: bool) -> HandoutCache {
        let dir = root.join(FOLDER);
        let mut entries = HashMap::default();
        // (A folder that cannot be listed whole may hold anything.)
        let listing = fs::read_dir(&dir);
        let mut strays = listing
            .as_ref()
            .is_err_and(|e| e.kind() != std::io::ErrorKind::NotFound);
        for entry in listing.into_iter().flatten() {
            let Ok(entry) = entry else {
                strays = true;
                continue;
            };
            let name = entry.file_name();
            if name == BUILT {
                continue;
            }
            let key = name
                .to_str()
                .and_then(|name| Some((name.split_once('-')?.0.to_string(), name)));
            strays |= match key {
                Some((key, name)) => entries.insert(key, name.to_string()).is_some(),
                None => true,
            };
        }
        let built = fs::metadata(dir.join(BUILT))
            .ok()
            .and_then(|meta| stamp(&meta))
            .map(|(_, time)| time);
        HandoutCache {
            dir,
            writable,
            entries,
            strays,
            used: Mutex::default(),
            built,
        }
    }

    /// The handout stored under `key`, if there is a sound one; `make` makes
    /// it otherwise, and it is stored.
    ///
    /// An entry's name ends with the checksum of its bytes, their length and
    /// the time the file was written. An entry whose file still has that
    /// length and time, older than the end of the last build, is sound
    /// without being read: any later change to the file would have set a
    /// later time. (A change within the same tick of the clock as the
    /// writing keeps the time, so an entry as new as the end of the build
    /// is read, as git does with its index.) Otherwise its bytes are read
    /// and checked, and a sound entry gets a name with its new time (a cache
    /// restored from an archive, say).
    pub fn get_or_make<E>(
        &self,
        key: Key,
        make: impl FnOnce() -> Result<Vec<u8>, E>,
    ) -> Result<Handout, E> {
        let key = key.finish();
        let found = self.entries.get(&key);
        if let Some((name, named)) = found.and_then(|name| Some((name, EntryName::parse(name)?))) {
            let path = self.dir.join(name);
            let now = fs::metadata(&path).ok().and_then(|meta| stamp(&meta));
            if self.unchanged(&named, now) {
                self.use_entry(name.clone());
                return Ok(Handout {
                    pdf: None,
                    entry: Some(path),
                    cached: true,
                });
            }
            if let Some(pdf) = fs::read(&path).ok().filter(|pdf| named.holds(pdf)) {
                let path = self.rename(name, &path, &key, named.checksum, now);
                return Ok(Handout {
                    pdf: Some(pdf),
                    entry: Some(path),
                    cached: true,
                });
            }
        }
        let pdf = make()?;
        let mut entry = None;
        if self.writable {
            // A cache that cannot be written only makes the next build slower.
            if let Ok(name) = self.store(&key, &pdf) {
                entry = Some(self.dir.join(&name));
                self.use_entry(name);
            }
        }
        Ok(Handout {
            pdf: Some(pdf),
            entry,
            cached: false,
        })
    }

    /// Gives a sound entry whose file changed its time a name with the time
    /// it has now, so that the next build need not read it; returns where
    /// the entry is. `before` is the file's length and time from before its
    /// bytes were read: if they changed meanwhile, it keeps its name.
    fn rename(
        &self,
        name: &str,
        path: &Path,
        key: &str,
        checksum: u32,
        before: Option<Stamp>,
    ) -> PathBuf {
        let renamed = fs::metadata(path)
            .ok()
            .and_then(|meta| stamp(&meta))
            .filter(|after| before == Some(*after))
            .map(|stamp| EntryName::format(key, checksum, stamp))
            .filter(|fresh| self.writable && fresh != name)
            .filter(|fresh| fs::rename(path, self.dir.join(fresh)).is_ok());
        let name = renamed.unwrap_or_else(|| name.to_string());
        let path = self.dir.join(&name);
        self.use_entry(name);
        path
    }

    /// Whether an entry named `named` is sound without being read: its file
    /// has the length and time `now` its name says, from before the end of
    /// the last build.
    fn unchanged(&self, named: &EntryName, now: Option<Stamp>) -> bool {
        match (named.stamp, now, self.built) {
            (Some(named), Some(now), Some(built)) => named == now && now.1 < built,
            _ => false,
        }
    }

    fn use_entry(&self, name: String) {
        if let Ok(mut used) = self.used.lock() {
            used.insert(name);
        }
    }

    /// Writes an entry in one step (a reader sees the whole entry or none)
    /// and returns its name.
    fn store(&self, key: &str, pdf: &[u8]) -> std::io::Result<String> {
        fs::create_dir_all(&self.dir)?;
        let temporary = self
            .dir
            .join(format!(".{}.tmp-{}", std::process::id(), unique()));
        let mut file = fs::File::create(&temporary)?;
        file.write_all(pdf)?;
        let written = file.metadata().ok().and_then(|meta| stamp(&meta));
        drop(file);
        let Some(stamp) = written else {
            let _ = fs::remove_file(&temporary);
            return Err(std::io::Error::other("no modification time"));
        };
        let name = EntryName::format(key, checksum(pdf), stamp);
        fs::rename(&temporary, self.dir.join(&name)).inspect_err(|_| {
            let _ = fs::remove_file(&temporary);
        })?;
        Ok(name)
    }

    /// Removes the entries this build did not use (old versions of
    /// handouts, handouts of removed content) and leftover temporary files,
    /// and marks the end of the build ([`BUILT`]).
    pub fn prune(&self) {
        if !self.writable {
            return;
        }
        let Ok(used) = self.used.lock() else { return };
        // When the build used every file the cache had, as usual, there is
        // nothing to remove: the folder (thousands of names) is not listed
        // again at the end of the build.
        let all_used = !self.strays && self.entries.values().all(|name| used.contains(name));
        if !all_used && let Ok(entries) = fs::read_dir(&self.dir) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name != BUILT && !used.contains(&name) {
                    let _ = fs::remove_file(entry.path());
                }
            }
        }
        let _ = fs::write(self.dir.join(BUILT), b"");
    }
}

/// A file's length and modification time (nanoseconds since 1970).
type Stamp = (u64, u128);

fn stamp(meta: &fs::Metadata) -> Option<Stamp> {
    let time = meta.modified().ok()?;
    let since = time.duration_since(std::time::UNIX_EPOCH).ok()?;
    Some((meta.len(), since.as_nanos()))
}

/// What an entry's name says: `<key>-<checksum>-<length>-<time>` (lengths
/// and times in hex); entries of older versions have no length and time.
#[derive(Debug, PartialEq)]
struct EntryName {
    checksum: u32,
    stamp: Option<Stamp>,
}

impl EntryName {
    fn format(key: &str, checksum: u32, (length, time): Stamp) -> String {
        format!("{key}-{checksum:08x}-{length:x}-{time:x}")
    }

    /// Whether `pdf` is a PDF with the checksum in the name.
    fn holds(&self, pdf: &[u8]) -> bool {
        self.checksum == checksum(pdf) && pdf.starts_with(b"%PDF-")
    }

    fn parse(name: &str) -> Option<EntryName> {
        let mut parts = name.split('-').skip(1);
        let checksum = u32::from_str_radix(parts.next()?, 16).ok()?;
        let stamp = match (parts.next(), parts.next()) {
            (Some(length), Some(time)) => Some((
                u64::from_str_radix(length, 16).ok()?,
                u128::from_str_radix(time, 16).ok()?,
            )),
            _ => None,
        };
        Some(EntryName { checksum, stamp })
    }
}

fn checksum(bytes: &[u8]) -> u32 {
    let mut crc = flate2::Crc::new();
    crc.update(bytes);
    crc.sum()
}

/// A number that differs between the threads of one process.
fn unique() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> Key {
        let mut key = Key::new();
        key.add(text.as_bytes());
        key
    }

    #[test]
    fn stores_reuses_and_ignores_damaged_entries() {
        let dir = tempfile::tempdir().expect("temp dir");
        let cache = HandoutCache::open(dir.path(), true);
        let pdf = b"%PDF-1.7 a handout %%EOF".to_vec();
        let made = cache
            .get_or_make(key("a"), || Ok::<_, ()>(pdf.clone()))
            .expect("made");
        assert_eq!((&made.pdf, made.cached), (&Some(pdf.clone()), false));
        let entry = made.entry.expect("stored");
        assert_eq!(
            fs::read(&entry).expect("entry"),
            pdf,
            "the entry is the PDF"
        );
        // Written in the same tick of the clock as the build ended (a change
        // then would keep the time): read.
        cache.prune();
        let built = dir.path().join(FOLDER).join(BUILT);
        let set_built = |time: std::time::SystemTime| {
            fs::File::options()
                .write(true)
                .open(&built)
                .and_then(|file| file.set_modified(time))
                .expect("set the end of the build");
        };
        set_built(
            fs::metadata(&entry)
                .and_then(|m| m.modified())
                .expect("time"),
        );
        let racy = HandoutCache::open(dir.path(), true)
            .get_or_make(key("a"), || Err(()))
            .expect("cached");
        assert_eq!((&racy.pdf, racy.cached), (&Some(pdf.clone()), true));
        // Unchanged since it was stored, before the build ended: used
        // without being read.
        set_built(std::time::SystemTime::now() + std::time::Duration::from_secs(1));
        let cache = HandoutCache::open(dir.path(), true);
        let again = cache.get_or_make(key("a"), || Err(())).expect("cached");
        assert_eq!(
            (&again.pdf, again.cached, again.entry.as_ref()),
            (&None, true, Some(&entry)),
            "the second time, from the cache, not read"
        );

        // The same bytes with another time (a restored cache): read, found
        // sound, and named by its new time.
        let file = fs::File::options().write(true).open(&entry).expect("open");
        let earlier = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        file.set_modified(earlier).expect("set time");
        drop(file);
        let cache = HandoutCache::open(dir.path(), true);
        let restored = cache.get_or_make(key("a"), || Err(())).expect("cached");
        assert_eq!((&restored.pdf, restored.cached), (&Some(pdf.clone()), true));
        let renamed = restored.entry.expect("an entry");
        assert_ne!(renamed, entry, "renamed after its new time");
        assert!(!entry.exists() && renamed.exists());
        let cache = HandoutCache::open(dir.path(), true);
        let next = cache.get_or_make(key("a"), || Err(())).expect("cached");
        assert_eq!((&next.pdf, next.entry.as_ref()), (&None, Some(&renamed)));
        let entry = renamed;

        // Damaged: one byte changed, or cut off. Made again, never served.
        let mut bytes = fs::read(&entry).expect("read");
        bytes[3] ^= 1;
        fs::write(&entry, &bytes).expect("write");
        let fresh = HandoutCache::open(dir.path(), true)
            .get_or_make(key("a"), || Ok::<_, ()>(pdf.clone()))
            .expect("made again");
        assert_eq!((&fresh.pdf, fresh.cached), (&Some(pdf.clone()), false));
        let entry = fresh.entry.expect("stored again");
        fs::write(&entry, &pdf[..5]).expect("cut");
        let fresh = HandoutCache::open(dir.path(), true)
            .get_or_make(key("a"), || Ok::<_, ()>(pdf.clone()))
            .expect("made again");
        assert_eq!((&fresh.pdf, fresh.cached), (&Some(pdf.clone()), false));

        // Another key is another handout.
        let other = cache
            .get_or_make(key("b"), || Ok::<_, ()>(b"%PDF-other".to_vec()))
            .expect("made");
        assert_eq!(
            (&other.pdf, other.cached),
            (&Some(b"%PDF-other".to_vec()), false)
        );
    }

    #[test]
    fn entry_names_carry_checksum_length_and_time() {
        let name = EntryName::format("ab12", 0xdead_beef, (4096, 1_700_000_000_123_456_789));
        assert_eq!(
            EntryName::parse(&name),
            Some(EntryName {
                checksum: 0xdead_beef,
                stamp: Some((4096, 1_700_000_000_123_456_789))
            })
        );
        // An older entry: checksum only, so it is read and checked.
        assert_eq!(
            EntryName::parse("ab12-deadbeef"),
            Some(EntryName {
                checksum: 0xdead_beef,
                stamp: None
            })
        );
        assert_eq!(EntryName::parse("ab12"), None);
    }

    #[test]
    fn prune_keeps_only_what_the_build_used_and_check_writes_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let cache = HandoutCache::open(dir.path(), true);
        let _ = cache.get_or_make(key("old"), || Ok::<_, ()>(b"%PDF-old".to_vec()));
        let next = HandoutCache::open(dir.path(), true);
        let _ = next.get_or_make(key("new"), || Ok::<_, ()>(b"%PDF-new".to_vec()));
        next.prune();
        let names: Vec<_> = fs::read_dir(dir.path().join(FOLDER))
            .expect("entries")
            .flatten()
            .filter(|entry| entry.file_name() != BUILT)
            .collect();
        assert_eq!(names.len(), 1, "only the entry of the last build is kept");

        let other = tempfile::tempdir().expect("temp dir");
        let read_only = HandoutCache::open(other.path(), false);
        let _ = read_only.get_or_make(key("x"), || Ok::<_, ()>(b"%PDF-x".to_vec()));
        read_only.prune();
        assert!(!other.path().join(".movepress-cache").exists());
    }

    #[test]
    fn prune_lists_the_folder_again_only_when_it_held_strays() {
        let dir = tempfile::tempdir().expect("temp dir");
        let folder = dir.path().join(FOLDER);
        let cache = HandoutCache::open(dir.path(), true);
        let made = cache
            .get_or_make(key("a"), || Ok::<_, ()>(b"%PDF-a".to_vec()))
            .expect("made");
        cache.prune();
        let entry = made.entry.expect("stored");
        let name_of = |path: &Path| {
            path.file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned()
        };
        let names = || {
            let mut names: Vec<String> = fs::read_dir(&folder)
                .expect("entries")
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| name != BUILT)
                .collect();
            names.sort();
            names
        };

        // One entry per key, all used: the folder is not listed again, so
        // a file that came after the cache was opened (another build's)
        // stays.
        let cache = HandoutCache::open(dir.path(), true);
        assert!(!cache.strays);
        cache.get_or_make(key("a"), || Err(())).expect("cached");
        fs::write(folder.join("later"), b"x").expect("write");
        cache.prune();
        assert_eq!(names(), vec![name_of(&entry), "later".to_string()]);

        // A name without a key: a stray, removed.
        let cache = HandoutCache::open(dir.path(), true);
        assert!(cache.strays);
        cache.get_or_make(key("a"), || Err(())).expect("cached");
        cache.prune();
        assert_eq!(names(), vec![name_of(&entry)]);

        // A second sound file for the key (named the older way, without
        // length and time): a stray too; only the one used stays.
        let mut parts = name_of(&entry)
            .split('-')
            .map(str::to_string)
            .collect::<Vec<_>>();
        parts.truncate(2);
        fs::copy(&entry, folder.join(parts.join("-"))).expect("copy");
        let cache = HandoutCache::open(dir.path(), true);
        assert!(cache.strays);
        let used = cache.get_or_make(key("a"), || Err(())).expect("cached");
        cache.prune();
        assert_eq!(names(), vec![name_of(&used.entry.expect("an entry"))]);
    }

    #[test]
    fn bytes_hashed_as_written_give_the_hash_of_the_bytes_listed() {
        let links = BTreeMap::from([(
            "exercises/cat-cow.md".to_string(),
            "exercises/cat-cow/".to_string(),
        )]);
        // Pieces of every size: bytes gathered, a chunk filled, a piece
        // longer than a chunk.
        let value = (
            "@/exercises/cat-cow.md",
            7_u32,
            vec!["step"; 2000],
            "x".repeat(CHUNK + 1),
        );
        let listed = shown(&value, &links, Vec::new());
        assert!(listed.len() > 3 * CHUNK);
        assert!(listed.ends_with(b"exercises/cat-cow.md=exercises/cat-cow/\n"));
        let streamed = hash_of(shown(&value, &links, chunked())).finalize();
        assert_eq!(Sha256::digest(&listed), streamed);
    }

    #[test]
    fn parts_are_kept_apart() {
        let mut one = Key::new();
        one.add(b"ab").add(b"c");
        let mut two = Key::new();
        two.add(b"a").add(b"bc");
        assert_ne!(one.finish(), two.finish());
    }
}
