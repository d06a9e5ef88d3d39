"""Maps the repository's top-level source folders onto the installed namespace `bench.*`.

`harness/` installs as `bench.harness`, `tasks/uno/` as `bench.tasks.uno`, and so on, so that
installed code never collides with other distributions' `tasks` or `metrics` packages. Everything
else about the distribution lives in pyproject.toml.
"""

from setuptools import find_packages, setup

SOURCE_ROOTS = ("harness", "tasks", "metrics", "arenas", "leaderboards")

packages: list[str] = []
package_dir: dict[str, str] = {}
for root in SOURCE_ROOTS:
    packages.append(f"bench.{root}")
    package_dir[f"bench.{root}"] = root
    packages.extend(f"bench.{root}.{sub}" for sub in find_packages(root))

setup(packages=packages, package_dir=package_dir)
