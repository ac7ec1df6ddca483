"""A thin wrapper over the `git` command line: the plumbing the live-state mirror needs.

Commits are written without a work tree (hash-object, a throwaway index, write-tree,
commit-tree) and a branch moves only by compare-and-swap (`update-ref NEW OLD`), so two writers
can never both advance it from the same commit. Every call has a timeout; any failure is a
`GitFailed` with git's own message.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

#: seconds a local git call may take; a push or fetch over the network gets NETWORK_TIMEOUT_S
LOCAL_TIMEOUT_S = 30
NETWORK_TIMEOUT_S = 60


class GitFailed(RuntimeError):
    """A git command failed (or git is missing, or timed out)."""


@dataclass(frozen=True)
class Identity:
    name: str
    email: str

    @classmethod
    def parse(cls, text: str) -> Identity:
        """From "Name <email>"."""
        name, _, rest = text.partition("<")
        email = rest.rstrip(">").strip()
        if not name.strip() or not email:
            raise ValueError(f"not 'Name <email>': {text!r}")
        return cls(name=name.strip(), email=email)


@dataclass(frozen=True)
class Signing:
    """Sign commits: `format` "ssh" (key: a private key file) or "openpgp" (key: a key id)."""

    format: str
    key: str


class GitRepo:
    """A repository at `path` (bare or not), created by `ensure` when missing."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def ensure(self) -> None:
        """Create the repository when its folder is missing or empty; GitFailed when the
        path holds something else."""
        try:
            if not self.path.exists() or (self.path.is_dir() and not any(self.path.iterdir())):
                self.path.mkdir(parents=True, exist_ok=True)
                self.run("init", "--quiet")
                return
        except OSError as exc:
            raise GitFailed(f"cannot create a repository at {self.path}: {exc}") from exc
        if not (self.path / ".git").exists() and not (self.path / "HEAD").exists():
            raise GitFailed(f"{self.path} is not a Git repository")

    def run(self, *args: str, input: bytes | None = None, env: Mapping[str, str] | None = None,
            timeout: float = LOCAL_TIMEOUT_S, config: Mapping[str, str] | None = None) -> str:
        """git's standard output (stripped); GitFailed with its standard error otherwise."""
        options = [part for name, value in (config or {}).items()
                   for part in ("-c", f"{name}={value}")]
        command = ["git", "-C", str(self.path), *options, *args]
        try:
            done = subprocess.run(command, input=input, capture_output=True, timeout=timeout,
                                  env={**os.environ, "GIT_TERMINAL_PROMPT": "0", **(env or {})},
                                  check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise GitFailed(f"git {args[0]}: {exc}") from exc
        if done.returncode != 0:
            message = done.stderr.decode(errors="replace").strip() or f"exit {done.returncode}"
            raise GitFailed(f"git {args[0]}: {message}")
        return done.stdout.decode(errors="replace").strip()

    def head(self, ref: str) -> str | None:
        """The commit `ref` points at, or None when it does not exist."""
        try:
            return self.run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}") or None
        except GitFailed:
            return None

    def read(self, commit: str, path: str) -> bytes | None:
        """A file of a commit, or None when it has no such file."""
        return self.read_object(f"{commit}:{path}")

    def read_object(self, name: str) -> bytes | None:
        """A blob by its id (or `commit:path`), or None when there is no such blob."""
        try:
            out = subprocess.run(["git", "-C", str(self.path), "cat-file", "blob", name],
                                 capture_output=True, timeout=LOCAL_TIMEOUT_S, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise GitFailed(f"git cat-file: {exc}") from exc
        return out.stdout if out.returncode == 0 else None

    def write_tree(self, files: Mapping[str, bytes]) -> str:
        """A tree holding exactly `files` (path -> content), written to the object store."""
        with tempfile.TemporaryDirectory(prefix="rrm-git-") as work:
            root = Path(work)
            names = []
            for number, content in enumerate(files.values()):
                blob = root / f"blob-{number}"
                blob.write_bytes(content)
                names.append(str(blob))
            shas = self.run("hash-object", "-w", "--no-filters", "--stdin-paths",
                            input="\n".join(names).encode()).split()
            index = {"GIT_INDEX_FILE": str(root / "index")}
            listing = "".join(f"100644 {sha}\t{path}\n"
                              for path, sha in zip(files, shas, strict=True))
            self.run("update-index", "--add", "--index-info", input=listing.encode(), env=index)
            return self.run("write-tree", env=index)

    def commit(self, *, tree: str, parent: str | None, message: str, author: Identity,
               when: str, signing: Signing | None = None) -> str:
        """A new commit object (no branch moves). `when` is a git date ("@seconds +0000"):
        author and committer dates both, so the same history written twice is the same."""
        env = {"GIT_AUTHOR_NAME": author.name, "GIT_AUTHOR_EMAIL": author.email,
               "GIT_COMMITTER_NAME": author.name, "GIT_COMMITTER_EMAIL": author.email,
               "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
        args = ["commit-tree", tree, *(["-p", parent] if parent else [])]
        config: dict[str, str] = {}
        if signing is not None:
            config = {"gpg.format": signing.format, "user.signingkey": signing.key}
            args.append("-S")
        return self.run(*args, input=message.encode(), env=env, config=config)

    def move(self, ref: str, new: str, old: str | None) -> bool:
        """Point `ref` at `new` if it still points at `old` (None: if it does not exist);
        False when another writer moved it first."""
        try:
            self.run("update-ref", ref, new, old or "0" * 40)
        except GitFailed:
            return False
        return True

    def push(self, remote: str, branch: str) -> None:
        self.run("push", "--quiet", remote, f"refs/heads/{branch}:refs/heads/{branch}",
                 timeout=NETWORK_TIMEOUT_S)

    def fetch(self, remote: str, branch: str, into: str) -> str | None:
        """The remote branch's commit (fetched into `into`), or None when it has none."""
        listing = self.run("ls-remote", remote, f"refs/heads/{branch}", timeout=NETWORK_TIMEOUT_S)
        if not listing:
            return None
        self.run("fetch", "--quiet", remote, f"+refs/heads/{branch}:{into}",
                 timeout=NETWORK_TIMEOUT_S)
        return self.head(into)
