"""DataLoader: iterate over a dataset in batches, shuffled or in order, PyTorch's way.

A sampler chooses the order of indices, a batch sampler groups them, the dataset turns each index
into a sample, and ``collate_fn`` turns each group of samples into a batch. Everything runs in the
calling process: ``num_workers`` is accepted for PyTorch code but loads nothing in parallel (the
batches are the same either way).
"""

from .collate import default_collate, default_convert
from .sampler import BatchSampler, RandomSampler, SequentialSampler, index_batches

__all__ = ["DataLoader"]


class DataLoader:
    """Batches of ``dataset``: ``for inputs, targets in DataLoader(data, batch_size=32,
    shuffle=True, generator=ember.Generator().manual_seed(0))``.

    ``batch_size=None`` turns batching off (each sample is converted by ``default_convert``);
    ``sampler`` or ``batch_sampler`` replace the built-in order; ``drop_last`` drops a last,
    shorter batch; ``len(loader)`` is the number of batches.
    """

    def __init__(
        self,
        dataset,
        batch_size=1,
        shuffle=None,
        sampler=None,
        batch_sampler=None,
        num_workers=0,
        collate_fn=None,
        pin_memory=False,
        drop_last=False,
        timeout=0,
        worker_init_fn=None,
        multiprocessing_context=None,
        generator=None,
        *,
        prefetch_factor=None,
        persistent_workers=False,
        pin_memory_device="",
        in_order=True,
    ):
        if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(
                "num_workers option should be non-negative; "
                "use num_workers=0 to disable multiprocessing."
            )
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, "
                    "shuffle, sampler, and drop_last"
                )
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError(
                "batch_size=None option disables auto-batching and is mutually "
                "exclusive with drop_last"
            )
        if sampler is None:
            sampler = (
                RandomSampler(dataset, generator=generator)
                if shuffle
                else SequentialSampler(dataset)
            )
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    def __len__(self):
        return len(self.batch_sampler if self._auto_collation else self.sampler)

    def __iter__(self):
        if not self._auto_collation:
            for index in self.sampler:
                yield self.collate_fn(self.dataset[index])
            return
        batched = (
            getattr(self.dataset, "_collated_batch", None)
            if self.collate_fn is default_collate
            else None
        )
        if batched is None:
            for indices in self.batch_sampler:
                yield self.collate_fn(self._fetch(indices))
            return
        # The same batches, built a batch at a time: from index arrays when the order is built in
        # (no Python int per index), else from the batch sampler's lists.
        batches = index_batches(self.batch_sampler)
        for indices in self.batch_sampler if batches is None else batches:
            yield batched(indices)

    def _fetch(self, indices):
        getitems = getattr(self.dataset, "__getitems__", None)
        if callable(getitems):
            return getitems(indices)
        return [self.dataset[i] for i in indices]
