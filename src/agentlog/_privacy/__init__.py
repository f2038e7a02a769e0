"""Privacy: what of a payload is written (capture), how it is hashed, and how secrets are removed.

``capture`` applies the capture policy to a payload, ``hashing`` makes the
plain or keyed hashes, and the redactor (``redactor``, built from
``secret_keys``, ``secret_shapes`` and ``secret_memory``) replaces secrets in
everything written raw.
"""

__all__: list[str] = []
