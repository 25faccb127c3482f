"""Judging an article: the topic lexicon (`lexicon`), relevance (`relevance`), duplicates
(`dedup`), the seed corpus (`seeds`), re-judging stored articles (`rescore`) and the
evaluation metrics the benches share (`metrics`)."""
