"""The Whoosh backend: everything that knows Whoosh — schema, analyzers, the writer and its W3-codec code,
array evaluation over postings, column readers, text tables, generations, build and update, the engine.

No module outside this folder imports ``whoosh``. The writer writes Whoosh's W3 codec
bytes itself and the evaluator reads posting blocks through Whoosh's private
attributes, so the Whoosh they were written for is checked here, on import.
"""

import whoosh

WRITTEN_FOR = (2, 7, 5)  # whoosh-reloaded, pinned in pyproject.toml
if tuple(whoosh.__version__[:3]) != WRITTEN_FOR:
    raise ImportError(f"Whoosh {whoosh.versionstring()} 与本程序不符：索引的写入和读取依赖 Whoosh "
                      f"{'.'.join(map(str, WRITTEN_FOR))} 的内部格式，请安装 pyproject.toml 指定的版本（whoosh-reloaded==2.7.5）。")
