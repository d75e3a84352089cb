"""jieba behind one module: FastCut cuts as jieba does, and the dictionary cache gives jieba's own dictionary."""

from __future__ import annotations

from whoosh_support import seed_rows


def test_fast_cut_segments_exactly_like_jieba(corpus_dir):
    from indexer.text.segmentation import segmenter
    from indexer.text.segmentation import FastCut
    from indexer.text.script import to_simplified

    jieba = segmenter()
    texts = [row["content"] for row in seed_rows(corpus_dir)]
    texts += [to_simplified(t) for t in texts] + ["ABC def 12 3x C++ a.b_c%d -- \r\n\t 繁體字 ℃ e-mail 2025年 养老服务"]
    cut = FastCut(jieba)
    assert all(list(cut(t)) == list(jieba.cut(t, HMM=False)) for t in texts)


def test_jieba_cache_gives_jiebas_own_dictionary(tmp_path, monkeypatch):
    import jieba

    from indexer.text import segmentation
    from indexer.text import jieba_cache

    def fresh():
        tokenizer = jieba.Tokenizer()
        tokenizer.tmp_dir = str(tmp_path)
        return tokenizer

    reference = fresh()
    reference.initialize()
    reference.load_userdict(str(segmentation.USER_DICTIONARY))
    assert not segmentation.load_cached(fresh(), segmentation.USER_DICTIONARY)
    segmentation.save_cached(reference, segmentation.USER_DICTIONARY, jieba_cache.user_words(segmentation.USER_DICTIONARY))
    cached = fresh()
    assert segmentation.load_cached(cached, segmentation.USER_DICTIONARY)
    assert cached.FREQ == reference.FREQ and cached.total == reference.total
    assert cached.user_word_tag_tab == reference.user_word_tag_tab
    text = "青島市民政局推進養老服務和最低生活保障，城乡低保标准提高"
    assert list(cached.cut(text, HMM=False)) == list(reference.cut(text, HMM=False))


def test_jieba_imported_without_pkg_resources_reads_the_same_data_files():
    """segmentation imports jieba with pkg_resources hidden (a fresh process starts faster); jieba then opens
    its data files by path: the same bytes as through pkg_resources, and pkg_resources still imports after."""
    import subprocess
    import sys

    code = ("import sys, indexer.text.segmentation as s, jieba._compat as c\n"
            "assert 'pkg_resources' not in sys.modules\n"
            "ours = c.get_module_res('dict.txt').read()\n"
            "import pkg_resources\n"
            "theirs = pkg_resources.resource_stream('jieba', 'dict.txt').read()\n"
            "assert ours == theirs and len(ours) > 1_000_000, (len(ours), len(theirs))\n"
            "print(s.segmenter().lcut('城乡居民基本养老保险'))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "养老保险" in result.stdout
