"""The learning-rate schedule is global: every thread decays its rate by the progress of the
whole run (its own tokens and the other threads', read from a shared clock), as the C code and
gensim do, so that a thread that runs behind does not end on a rate of its own."""

import time

import numpy as np
import pytest

from embedlib import Word2Vec
from embedlib import _w2v_train as T
from embedlib import w2v_kernels as K

PLANTED = dict(n_sentences=400)


def first_job(corpus, others, *, alpha=0.05, min_alpha=0.001, sg=1, **kw):
    """W after thread 0 runs its first job of the first epoch, with the other thread's slot
    of the shared clock saying it has done ``others`` tokens."""
    model = Word2Vec(vector_size=16, window=3, negative=3, sg=sg, workers=2, batch_words=500,
                     epochs=2, alpha=alpha, min_alpha=min_alpha, seed=4, **kw)
    model.build_vocab(corpus)
    plan = model._plan(corpus)
    bounds, job_tokens, owners = plan
    assert len(owners) == 2                       # two threads, so there is another slot
    weights, data, config, scratch = T.kernel_args(model, corpus, plan, 0)
    mine, other = scratch
    assert mine.clock is other.clock              # one clock shared by the threads
    assert mine.total == 2 * job_tokens.sum()     # the tokens of the whole run
    other.clock[other.slot] = others
    j = owners[0][0]
    K.train_job(weights, data, config, mine, bounds[j], bounds[j + 1], 0.0, 12345)
    return model._W[:len(model.vocab_)].copy(), mine, int(job_tokens[j])


@pytest.mark.parametrize("sg", [1, 0])
def test_a_thread_decays_its_rate_by_the_other_threads_progress(planted, sg):
    _, corpus = planted
    total = 2 * len(corpus.tokens)
    # the other thread has done the whole run: this job trains at min_alpha from its start
    late, _, _ = first_job(corpus, total, sg=sg)
    flat, _, _ = first_job(corpus, 0, sg=sg, alpha=0.001)
    np.testing.assert_array_equal(late, flat)
    # with the other thread at 0 the rate starts at alpha, and the job trains differently
    early, _, _ = first_job(corpus, 0, sg=sg)
    assert not np.array_equal(early, late)
    # half way: neither the start nor the end of the schedule
    half, _, _ = first_job(corpus, total // 2, sg=sg)
    assert not np.array_equal(half, early) and not np.array_equal(half, late)


def test_a_thread_writes_its_progress_in_its_own_slot(planted):
    _, corpus = planted
    _, mine, tokens = first_job(corpus, 777)
    assert mine.clock[mine.slot] == tokens        # the tokens of the job it ran
    assert mine.clock[mine.slot + K.CLOCK_STRIDE] == 777   # the other slot untouched


def test_the_epochs_start_the_clock_where_the_run_stands(planted):
    """Between epochs the slots hold each thread's tokens of the epochs done, also when a
    run goes on from a saved point (train() after k epochs)."""
    _, corpus = planted
    model = Word2Vec(vector_size=16, workers=2, batch_words=500, epochs=3, seed=1)
    model.build_vocab(corpus)
    plan, hot = model._schedule(corpus)
    T.make_room(model, len(plan[2]) * hot)      # the threads' private hot rows, as train()
    trainer = T.Trainer(model, corpus, plan, hot, 3)
    trainer.run(1, 2)                            # epochs 2 and 3 of 3
    clock = trainer.scratch[0].clock
    slots = clock[::K.CLOCK_STRIDE]
    # each thread's slot: its share of the two epochs before, then what it did in the third
    # (its share, or less or more when one thread took jobs from the other's)
    for slot, share in zip(slots, trainer.share_tokens):
        assert 2 * share <= slot <= 2 * share + len(corpus.tokens)
    assert slots.sum() == 3 * len(corpus.tokens) == trainer.scratch[0].total


def test_a_thread_done_with_its_share_takes_jobs_from_the_end_of_the_other(planted,
                                                                           monkeypatch):
    """No thread idles while another has jobs left: with thread 0 slowed down, thread 1 does
    its share, then the last jobs of thread 0's, and every job runs exactly once an epoch."""
    _, corpus = planted
    calls = []
    train_job = K.train_job

    def slow_thread_0(weights, data, config, scratch, a, b, done0, seed):
        t = scratch.slot // K.CLOCK_STRIDE
        if t == 0:
            time.sleep(0.01)
        calls.append((t, int(a)))
        return train_job(weights, data, config, scratch, a, b, done0, seed)

    monkeypatch.setattr(K, "train_job", slow_thread_0)
    model = Word2Vec(vector_size=16, workers=2, batch_words=200, epochs=2, seed=1,
                     verbose=False)
    model.build_vocab(corpus)
    bounds, job_tokens, owners = model._plan(corpus)
    assert len(owners) == 2 and len(owners[0]) >= 8
    model.train(corpus)
    first = {int(bounds[j]) for j in owners[0]}
    for epoch in (calls[:len(job_tokens)], calls[len(job_tokens):]):
        assert sorted(a for _, a in epoch) == sorted(int(b) for b in bounds[:-1])
        taken = [a for t, a in epoch if t == 1 and a in first]
        assert taken, "thread 1 took none of thread 0's jobs"
        # from the end of thread 0's share: the jobs it took follow every job thread 0 ran
        # there (thread 0 may itself take from thread 1's share if thread 1 is held up)
        assert min(taken) > max(a for t, a in epoch if t == 0 and a in first)
    assert sum(s.words for s in model.history_) == 2 * len(corpus.tokens)
