//! The configured routes of one family, kept in two parts so that a reload which leaves the
//! route files alone costs nothing per file route:
//!
//! - the static routes of the config file (a few, re-validated on every load), and
//! - the route files' routes, merged once into one sorted table behind an [`Arc`] that
//!   successive configs share while the files stay unchanged ([`RouteFileCache`]).
//!
//! A file route names the route file it came from; its next-hop set is that file's `via` for
//! the family ([`RouteTable::file_set`]), which each load resolves anew. Precedence on equal
//! prefixes: a static route beats a file route, an earlier file beats a later one.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use ipnet::{Ipv4Net, Ipv6Net};

use crate::route_file::RouteFile;

/// A prefix type with a total order by (network, length): how route tables are sorted.
pub trait RoutePrefix: Copy + Eq + std::fmt::Debug {
    /// The sort key.
    type Key: Ord + Copy;
    /// (network bits, prefix length).
    fn key(&self) -> Self::Key;
}

impl RoutePrefix for Ipv4Net {
    type Key = (u32, u8);
    #[inline]
    fn key(&self) -> (u32, u8) {
        (u32::from(self.network()), self.prefix_len())
    }
}

impl RoutePrefix for Ipv6Net {
    type Key = (u128, u8);
    #[inline]
    fn key(&self) -> (u128, u8) {
        (u128::from(self.network()), self.prefix_len())
    }
}

/// Route-file routes of one family: `(prefix, route file index)`, sorted by prefix, one entry
/// per prefix (the first file listing a prefix keeps it).
pub type FileRoutes<N> = Arc<Vec<(N, u32)>>;

/// The configured routes of one family (see the module docs). Two tables are equal when they
/// hold the same routes, however those are split between statics and files.
#[derive(Debug, Clone)]
pub struct RouteTable<N: RoutePrefix> {
    statics: Vec<(N, u32)>,
    files: FileRoutes<N>,
    file_sets: Vec<u32>,
    len: usize,
}

impl<N: RoutePrefix> Default for RouteTable<N> {
    fn default() -> Self {
        Self::from_statics(Vec::new())
    }
}

impl<N: RoutePrefix> RouteTable<N> {
    /// A table of static routes only (`(prefix, next-hop set)`), in any order; for equal
    /// prefixes the first wins.
    pub fn from_statics(statics: Vec<(N, u32)>) -> Self {
        Self::new(statics, Arc::new(Vec::new()), Vec::new())
    }

    /// Builds a table from its parts. `statics` in any order (the first of equal prefixes
    /// wins); `files` as [`FileRoutes`] documents it; `file_sets[f]` is route file `f`'s
    /// next-hop set for this family.
    pub fn new(mut statics: Vec<(N, u32)>, files: FileRoutes<N>, file_sets: Vec<u32>) -> Self {
        statics.sort_by_key(|(n, _)| n.key());
        statics.dedup_by(|later, earlier| later.0.key() == earlier.0.key());
        let shadowed = statics
            .iter()
            .filter(|(n, _)| find(&files, n).is_some())
            .count();
        let len = statics.len() + files.len() - shadowed;
        RouteTable {
            statics,
            files,
            file_sets,
            len,
        }
    }

    /// Number of routes (one per prefix).
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there is no route.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The static routes, sorted by prefix.
    pub fn statics(&self) -> &[(N, u32)] {
        &self.statics
    }

    /// The route-file part (shared between configs while the files are unchanged).
    pub fn file_routes(&self) -> &FileRoutes<N> {
        &self.files
    }

    /// Next-hop set of route file `file` for this family.
    pub fn file_set(&self, file: u32) -> u32 {
        self.file_sets.get(file as usize).copied().unwrap_or(0)
    }

    /// Next-hop sets of the route files, by file index.
    pub fn file_sets(&self) -> &[u32] {
        &self.file_sets
    }

    /// The next-hop set of exactly `prefix`, if configured.
    pub fn get(&self, prefix: &N) -> Option<u32> {
        if let Some(i) = find(&self.statics, prefix) {
            return Some(self.statics[i].1);
        }
        find(&self.files, prefix).map(|i| self.file_set(self.files[i].1))
    }

    /// Every route as `(prefix, next-hop set)`, sorted by prefix.
    pub fn iter(&self) -> impl Iterator<Item = (N, u32)> + '_ {
        let mut s = self.statics.iter().peekable();
        let mut f = self
            .files
            .iter()
            .map(|&(n, file)| (n, self.file_set(file)))
            .peekable();
        std::iter::from_fn(move || match (s.peek(), f.peek()) {
            (Some(a), Some(b)) => match a.0.key().cmp(&b.0.key()) {
                std::cmp::Ordering::Less => s.next().copied(),
                std::cmp::Ordering::Greater => f.next(),
                std::cmp::Ordering::Equal => {
                    f.next();
                    s.next().copied()
                }
            },
            (Some(_), None) => s.next().copied(),
            (None, _) => f.next(),
        })
    }
}

impl<N: RoutePrefix> PartialEq for RouteTable<N> {
    fn eq(&self, other: &Self) -> bool {
        if Arc::ptr_eq(&self.files, &other.files)
            && self.file_sets == other.file_sets
            && self.statics == other.statics
        {
            return true;
        }
        self.len == other.len && self.iter().eq(other.iter())
    }
}

/// Index of `prefix` in a slice sorted by prefix.
fn find<N: RoutePrefix, V>(sorted: &[(N, V)], prefix: &N) -> Option<usize> {
    sorted
        .binary_search_by_key(&prefix.key(), |(n, _)| n.key())
        .ok()
}

/// Merges route files' prefixes, in file order, into [`FileRoutes`]: sorted, the first file
/// listing a prefix keeps it.
pub(crate) fn merge_files<N: RoutePrefix>(
    per_file: impl Iterator<Item = (u32, impl Iterator<Item = N>)>,
) -> Vec<(N, u32)> {
    let mut all: Vec<(N, u32)> = Vec::new();
    for (f, prefixes) in per_file {
        all.extend(prefixes.map(|n| (n, f)));
    }
    // Stable: among equal prefixes the earlier file stays first and survives the dedup.
    all.sort_by_key(|(n, _)| n.key());
    all.dedup_by(|later, earlier| later.0.key() == earlier.0.key());
    all
}

/// What the validator needs of one route file besides its prefixes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileFacts {
    /// The file as resolved.
    pub path: PathBuf,
    /// Routes per family, before merging.
    pub count_v4: usize,
    /// Routes per family, before merging.
    pub count_v6: usize,
    /// Line and text of the first route of each family, for error messages.
    pub first_v4: Option<(usize, String)>,
    /// Line and text of the first route of each family, for error messages.
    pub first_v6: Option<(usize, String)>,
}

impl FileFacts {
    pub(crate) fn of(file: &RouteFile) -> Self {
        FileFacts {
            path: file.path.clone(),
            count_v4: file.v4.len(),
            count_v6: file.v6.len(),
            first_v4: file.first_v4_line.map(|l| {
                (
                    l,
                    file.v4.first().map(ToString::to_string).unwrap_or_default(),
                )
            }),
            first_v6: file.first_v6_line.map(|l| {
                (
                    l,
                    file.v6.first().map(ToString::to_string).unwrap_or_default(),
                )
            }),
        }
    }
}

/// The route files of one config, read and merged.
#[derive(Debug, Clone, Default)]
pub(crate) struct LoadedFiles {
    pub facts: Vec<FileFacts>,
    pub v4: FileRoutes<Ipv4Net>,
    pub v6: FileRoutes<Ipv6Net>,
}

/// What identifies a file's content without reading it: size, modification and change times,
/// inode and device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stamp {
    len: u64,
    modified: SystemTime,
    changed: (i64, i64),
    inode: (u64, u64),
}

impl Stamp {
    fn of(path: &Path) -> Option<Stamp> {
        let m = std::fs::metadata(path).ok()?;
        #[cfg(unix)]
        let (changed, inode) = {
            use std::os::unix::fs::MetadataExt;
            ((m.ctime(), m.ctime_nsec()), (m.dev(), m.ino()))
        };
        #[cfg(not(unix))]
        let (changed, inode) = ((0, 0), (0, 0));
        Some(Stamp {
            len: m.len(),
            modified: m.modified().ok()?,
            changed,
            inode,
        })
    }
}

/// A file modified less than this before it was read may have changed again within the
/// file system's timestamp granularity without its stamp changing ("racy" in git's terms):
/// such a read is not reused.
const RACY: Duration = Duration::from_secs(2);

/// Remembers the last successfully read set of route files, so that a reload that leaves them
/// unchanged (same paths, sizes, times and inodes) neither re-reads nor re-merges them and
/// shares the merged table with the running config.
///
/// Holds one entry (the last load); a load with other files replaces it.
#[derive(Debug, Default)]
pub struct RouteFileCache {
    last: Mutex<Option<CacheEntry>>,
}

#[derive(Debug)]
struct CacheEntry {
    stamps: Vec<(PathBuf, Stamp)>,
    read_at: SystemTime,
    files: LoadedFiles,
}

impl RouteFileCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The cached read of exactly `paths`, if every file is unchanged since.
    pub(crate) fn get(&self, paths: &[PathBuf]) -> Option<LoadedFiles> {
        let guard = self.last.lock().ok()?;
        let entry = guard.as_ref()?;
        if entry.stamps.len() != paths.len() {
            return None;
        }
        for ((cached_path, stamp), path) in entry.stamps.iter().zip(paths) {
            if cached_path != path || Stamp::of(path).as_ref() != Some(stamp) {
                return None;
            }
            let settled = stamp
                .modified
                .checked_add(RACY)
                .is_some_and(|t| t < entry.read_at);
            if !settled {
                return None;
            }
        }
        Some(entry.files.clone())
    }

    /// The stamps of `paths` before reading them, for [`RouteFileCache::put`].
    pub(crate) fn stamps(paths: &[PathBuf]) -> Option<(Vec<(PathBuf, Stamp)>, SystemTime)> {
        let read_at = SystemTime::now();
        let stamps = paths
            .iter()
            .map(|p| Stamp::of(p).map(|s| (p.clone(), s)))
            .collect::<Option<Vec<_>>>()?;
        Some((stamps, read_at))
    }

    /// Remembers a successful read of the files whose stamps were taken before reading.
    pub(crate) fn put(
        &self,
        stamps: Vec<(PathBuf, Stamp)>,
        read_at: SystemTime,
        files: &LoadedFiles,
    ) {
        // A file that changed while it was read gets a new stamp: keep nothing then.
        let unchanged = stamps.iter().all(|(p, s)| Stamp::of(p).as_ref() == Some(s));
        if let Ok(mut guard) = self.last.lock() {
            *guard = unchanged.then(|| CacheEntry {
                stamps,
                read_at,
                files: files.clone(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Ipv4Net {
        s.parse().unwrap()
    }

    #[test]
    fn statics_beat_files_and_iteration_is_sorted() {
        let files = Arc::new(merge_files(
            [
                (0u32, vec![n("10.0.0.0/8"), n("192.0.2.0/24")]),
                (1u32, vec![n("10.0.0.0/8"), n("1.0.0.0/24")]),
            ]
            .into_iter()
            .map(|(f, v)| (f, v.into_iter())),
        ));
        assert_eq!(
            *files,
            vec![
                (n("1.0.0.0/24"), 1),
                (n("10.0.0.0/8"), 0),
                (n("192.0.2.0/24"), 0)
            ]
        );
        let t = RouteTable::new(
            vec![
                (n("192.0.2.0/24"), 7),
                (n("9.0.0.0/8"), 8),
                (n("9.0.0.0/8"), 9),
            ],
            files,
            vec![3, 4],
        );
        assert_eq!(t.len(), 4);
        assert_eq!(
            t.iter().collect::<Vec<_>>(),
            vec![
                (n("1.0.0.0/24"), 4),
                (n("9.0.0.0/8"), 8),
                (n("10.0.0.0/8"), 3),
                (n("192.0.2.0/24"), 7),
            ]
        );
        assert_eq!(t.get(&n("192.0.2.0/24")), Some(7));
        assert_eq!(t.get(&n("1.0.0.0/24")), Some(4));
        assert_eq!(t.get(&n("1.0.0.0/25")), None);
    }

    #[test]
    fn cache_misses_after_a_change_and_for_fresh_files() {
        let dir = std::env::temp_dir().join(format!("sr-cache-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("r.txt");
        std::fs::write(&p, "10.0.0.0/8\n").unwrap();
        let paths = vec![p.clone()];
        let files = LoadedFiles {
            facts: Vec::new(),
            v4: Arc::new(vec![(n("10.0.0.0/8"), 0)]),
            v6: Arc::new(Vec::new()),
        };
        let cache = RouteFileCache::new();
        let (stamps, read_at) = RouteFileCache::stamps(&paths).unwrap();
        cache.put(stamps, read_at, &files);
        // Just written: its time stamp cannot be trusted yet.
        assert!(cache.get(&paths).is_none());
        // Read long after it was written: reused while unchanged.
        let (stamps, _) = RouteFileCache::stamps(&paths).unwrap();
        cache.put(stamps, SystemTime::now() + RACY * 2, &files);
        assert!(cache
            .get(&paths)
            .is_some_and(|f| Arc::ptr_eq(&f.v4, &files.v4)));
        std::fs::write(&p, "10.0.0.0/8\n11.0.0.0/8\n").unwrap();
        assert!(cache.get(&paths).is_none());
        assert!(cache.get(&[dir.join("other.txt")]).is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
