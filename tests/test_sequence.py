import exactpwm
import numpy as np
import pytest


def test_encode_alphabet():
    np.testing.assert_array_equal(exactpwm.encode("ACGTacgtUuN"), [0, 1, 2, 3, 0, 1, 2, 3, 3, 3, 4])


def test_iupac_and_gaps_are_n():
    codes = exactpwm.encode("RYSWKMBDHVNXryswkmbdhvnx-")
    assert (codes == 4).all()


@pytest.mark.parametrize("bad, pos", [("ACG1T", 3), ("AC GT", 2), ("ACGT\n", 4), ("ACG*", 3)])
def test_unknown_letters_are_named(bad, pos):
    with pytest.raises(ValueError, match=f"unknown letter .* at position {pos}"):
        exactpwm.encode(bad)
    assert exactpwm.encode(bad, unknown="N")[pos] == 4


def test_non_ascii_is_named():
    with pytest.raises(ValueError, match="non-ASCII"):
        exactpwm.encode("ACGTé")


def test_encode_bytes_and_codes():
    np.testing.assert_array_equal(exactpwm.encode(b"GATC"), [2, 0, 3, 1])
    codes = np.array([0, 4, 3], dtype=np.uint8)
    np.testing.assert_array_equal(exactpwm.encode(codes), codes)
    with pytest.raises(ValueError, match="codes 0..4"):
        exactpwm.encode(np.array([0, 5], dtype=np.uint8))
    with pytest.raises(TypeError, match="integer array"):
        exactpwm.encode(np.array([0.0, 1.0]))
    with pytest.raises(TypeError, match="str or bytes"):
        exactpwm.encode(12345)


def test_empty_sequence():
    assert exactpwm.encode("").shape == (0,)
    assert exactpwm.one_hot("").shape == (4, 0)


def test_decode_and_reverse_complement():
    assert exactpwm.decode(exactpwm.encode("ACGTNu")) == "ACGTNT"
    assert exactpwm.reverse_complement("AACGTN") == "NACGTT"
    np.testing.assert_array_equal(exactpwm.reverse_complement(exactpwm.encode("AAC")), [2, 3, 3])


def test_one_hot_matches_framework_convention():
    X = exactpwm.one_hot("ACGTN")
    assert X.shape == (4, 5) and X.dtype == np.float32
    np.testing.assert_array_equal(X[:, :4], np.eye(4))
    np.testing.assert_array_equal(X[:, 4], 0)


def test_pack_ragged():
    codes, offsets = exactpwm.pack(["AC", "", "GTN"])
    np.testing.assert_array_equal(codes, [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(offsets, [0, 2, 2, 5])
    with pytest.raises(ValueError, match="sequence 1: .*unknown letter"):
        exactpwm.pack(["AC", "A?"])
    codes, offsets = exactpwm.pack(np.zeros((3, 4), dtype=np.uint8))
    np.testing.assert_array_equal(offsets, [0, 4, 8, 12])
    codes, offsets = exactpwm.pack([])
    assert codes.size == 0 and offsets.tolist() == [0]
