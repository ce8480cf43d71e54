"""jieba as the MkDocs search plugin sees it during one build: its cuts remembered, its dictionary loaded late.

The search plugin (mkdocs-material, `lang: zh`) cuts every run of Chinese characters in the search
index into words with jieba, and loads jieba's dictionary in `on_config` (`jieba.load_userdict`), about
1.1 s, whether or not a page is cut. After one approval most theme pages are taken from the build
cache (`mkdocs_pages.PageMemo`), and the few built anew, like the new notice's title, hold runs of
characters that earlier builds cut already.

`LazyJieba` stands in for the plugin module's `jieba` (`patched`):

- `set_dictionary` and `load_userdict` are noted, not done: a tokenizer of our own is loaded with both
  at the first run that no good build cut before (not jieba's global one: see `LazyJieba._jieba`);
- `cut(run)` is remembered under the run and everything a cut depends on: jieba's version (in the code
  digest), the main dictionary's and the user dictionaries' bytes. A remembered cut is used only if
  its words join back to the run;
- anything else the plugin asks of jieba goes to that tokenizer.

Cuts are kept by the build cache like its other entries: a build keeps what it used. A theme page taken
from the cache cuts nothing, so `PageMemo` keeps the cuts its page used (`keys_since`, `keep`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from typing import Callable

from .cache import Cache
from .digests import code_digest, digest

KIND = "jieba-cut"
_TOKENIZERS: dict[str, object] = {}  # the dictionaries' key -> the tokenizer made for them last


def import_jieba() -> None:
    """Import jieba without pkg_resources where nothing has imported either yet: jieba imports it only to
    open its own data files, and opens them by their path where that import fails (jieba._compat). The
    same files (a test compares them), without pkg_resources' 0.05 s in every build's site stage. The
    caller imports jieba as usual afterwards (where it is not installed, that import says so)."""
    import sys

    if "jieba" in sys.modules or "pkg_resources" in sys.modules:
        return
    sys.modules["pkg_resources"] = None  # type: ignore[assignment]  # `import pkg_resources` raises ImportError
    try:
        import jieba  # noqa: F401
    except ImportError:
        pass
    finally:
        del sys.modules["pkg_resources"]


def _read(path: str | None) -> bytes:
    if not path:
        return b""
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError:
        return b""  # jieba itself says so when it is loaded


class LazyJieba:
    def __init__(self, cache: Cache):
        self.cache = cache
        self.known = cache.entries(KIND)
        self.used: list[str] = []  # the keys of the cuts asked for, in order (PageMemo)
        self._dictionary: str | None = None
        self._user_dicts: list[str] = []
        self._key: str | None = None
        self._seen: dict[str, tuple[str, list[str]]] = {}  # run -> (key, words), this build
        self._made: set[str] = set()  # keys remembered by this build's cuts
        self.loaded = False  # whether a tokenizer was asked for

    # What the search plugin's on_config does with jieba: noted, done when a run must be cut.
    def set_dictionary(self, path: str) -> None:
        self._dictionary, self._key = path, None
        self._seen.clear()

    def load_userdict(self, path: str) -> None:
        self._user_dicts.append(path)
        self._key = None
        self._seen.clear()

    def _dictionaries(self) -> str:
        if self._key is None:
            self._key = digest(KIND, code_digest(), _read(self._dictionary), [_read(p) for p in self._user_dicts])
        return self._key

    def _jieba(self):
        """A tokenizer of our own with the dictionaries the plugin named (never jieba's global one: Material
        adds the user dictionary to that at every build, and each time jieba's word counts grow, so a
        second build in one process cut some runs otherwise). The last one made is kept for the process."""
        self.loaded = True
        key = self._dictionaries()
        tokenizer = _TOKENIZERS.get(key)
        if tokenizer is None:
            from .detect import new_tokenizer

            tokenizer = new_tokenizer(self._dictionary)
            for path in self._user_dicts:
                tokenizer.load_userdict(path)
            _TOKENIZERS.clear()
            _TOKENIZERS[key] = tokenizer
        return tokenizer

    def __getattr__(self, name: str):
        return getattr(self._jieba(), name)

    def cut(self, sentence, *args, **kwargs):
        if args or kwargs or not isinstance(sentence, (str, bytes)):
            return self._jieba().cut(sentence, *args, **kwargs)
        text = sentence.decode("utf-8") if isinstance(sentence, bytes) else sentence
        seen = self._seen.get(text)
        if seen is None:
            seen = self._seen[text] = self._remembered(sentence, text)
        key, words = seen
        self.used.append(key)
        return iter(words)

    def _remembered(self, sentence, text: str) -> tuple[str, list[str]]:
        key = hashlib.sha256(f"{self._dictionaries()}\x00{text}".encode("utf-8")).hexdigest()
        found = self.known.get(key)
        words = None
        if isinstance(found, str):
            with contextlib.suppress(ValueError, RecursionError):
                words = json.loads(found)
        if not (isinstance(words, list) and all(isinstance(w, str) for w in words) and "".join(words) == text):
            if found is not None:
                self.cache.replace(KIND, key)  # damaged: the cut made now replaces it
            words = list(self._jieba().cut(sentence))
            found = json.dumps(words, ensure_ascii=False)
        self.cache.remember(KIND, key, found)
        self._made.add(key)
        return key, words

    def keys_since(self, mark: int) -> list[str]:
        return list(dict.fromkeys(self.used[mark:]))

    def keep(self, keys: list[str]) -> None:
        """A page taken from the cache: keep the cuts it was made with for the next build."""
        for key in keys:
            found = self.known.get(key)
            if isinstance(found, str) and key not in self._made:  # not remembered already (perhaps anew)
                self.cache.remember(KIND, key, found)


@contextlib.contextmanager
def patched(cache: Cache):
    """The search plugin's jieba replaced by a `LazyJieba` for one build (None: no jieba, nothing done)."""
    try:
        import material.plugins.search.plugin as search
    except ImportError:
        yield None
        return
    real = getattr(search, "jieba", None)
    if real is None or isinstance(real, LazyJieba):
        yield None
        return
    lazy = LazyJieba(cache)
    search.jieba = lazy
    try:
        yield lazy
    finally:
        search.jieba = real


def segmenter() -> Callable[[str], str] | None:
    """Material's `SearchIndex._segment_chinese` (each run of Chinese characters cut into words by
    jieba, the words and the run set off by zero-width spaces), with its pattern compiled once (it
    compiles it at every call, a third of the time of a county's 30,000 notice texts) and each run's
    replacement made once: the titles' runs (place names, programs, issuers) repeat thousands of times.
    None without jieba. Its output is the plugin's own (a test compares them). Made anew for each build:
    the dictionaries may differ from one to the next."""
    try:
        import material.plugins.search.plugin as search
        from backrefs import bre
    except ImportError:
        return None
    if getattr(search, "jieba", None) is None:
        return None
    han = bre.compile(r"(\p{script: Han}+)", bre.UNICODE)._pattern  # Bre.sub hands a callable to it as is
    done: dict[str, str] = {}

    def cut(match) -> str:
        run = match.group(0)
        found = done.get(run)
        if found is None:
            found = done[run] = "\u200b" + "\u200b".join(search.jieba.cut(run.encode("utf-8"))) + "\u200b"
        return found

    return lambda text: han.sub(cut, text).strip("\u200b")
