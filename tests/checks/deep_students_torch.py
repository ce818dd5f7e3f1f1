"""PyTorch Lesson 3 solutions a student might hand in: right ones in several styles, and mistakes.

The lesson's interfaces (see /tmp/l3/SPEC.md): ``reverse_padded(x, lengths)``,
``Bidirectional(make_layer, input_size, hidden_size)(x, lengths) -> (outputs, final)``,
``Stacked(make_layer, input_size, hidden_size, num_layers, dropout=0.0)(x, lengths)
-> (outputs, final)``, ``max_over_time(outputs, lengths)`` and ``mean_over_time(outputs,
lengths)``. ``__init__`` of Bidirectional and Stacked is given in the notebook; the students write
the rest.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# ---------------------------------------------------------------------------------------------
# reverse_padded
# ---------------------------------------------------------------------------------------------


def reverse_by_gather(x, lengths):
    """Index arithmetic and gather: step t < length reads length - 1 - t, the padding itself."""
    steps = torch.arange(x.shape[1], device=x.device)
    lengths = torch.as_tensor(lengths, device=x.device)[:, None]
    index = torch.where(steps < lengths, lengths - 1 - steps, steps)
    return x.gather(1, index[:, :, None].expand_as(x))


def reverse_by_loop(x, lengths):
    """One sequence at a time: flip the real part, keep the padding, stack the rows."""
    rows = []
    for row, length in zip(x, lengths.tolist(), strict=True):
        rows.append(torch.cat([row[:length].flip(0), row[length:]], dim=0))
    return torch.stack(rows)


def reverse_by_index(x, lengths):
    """Fancy indexing with a (batch, steps) index built by a list comprehension."""
    steps = x.shape[1]
    index = torch.tensor([list(range(n - 1, -1, -1)) + list(range(n, steps))
                          for n in lengths.tolist()], device=x.device)
    return x[torch.arange(x.shape[0])[:, None], index]


def reverse_flip_all(x, lengths):
    """Flips whole rows, padding included."""
    return x.flip(1)


def reverse_padding_first(x, lengths):
    """Reverses the real steps but puts the padding in front of them."""
    rows = []
    for row, length in zip(x, lengths.tolist(), strict=True):
        rows.append(torch.cat([row[length:], row[:length].flip(0)], dim=0))
    return torch.stack(rows)


def reverse_zero_padding(x, lengths):
    """Reverses the real steps and sets the padding to zero."""
    mask = (torch.arange(x.shape[1])[None, :] < lengths[:, None])[:, :, None]
    return reverse_by_gather(x, lengths) * mask


def reverse_detached(x, lengths):
    """Right values, built from a detached copy: no gradient reaches x."""
    return reverse_by_gather(x.detach(), lengths)


def reverse_transposed(x, lengths):
    """Returns (steps, batch, features)."""
    return reverse_by_gather(x, lengths).transpose(0, 1)


def reverse_unsolved(x, lengths):
    raise NotImplementedError()


def reverse_float32(x, lengths):
    """Builds a float32 mask and mixes it in with matmul-like ops: checked in float32."""
    eye = torch.eye(x.shape[-1], dtype=torch.float32)
    return reverse_by_gather(x, lengths).float() @ eye


# ---------------------------------------------------------------------------------------------
# Bidirectional: __init__ is given, students write forward
# ---------------------------------------------------------------------------------------------


class GivenBidirectional(nn.Module):
    """The notebook's given __init__."""

    def __init__(self, make_layer, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.forward_layer = make_layer(input_size, hidden_size)
        self.backward_layer = make_layer(input_size, hidden_size)
        self.output_size = 2 * hidden_size


class Bidirectional(GivenBidirectional):
    """The lesson's solution, with the student's own reverse_padded."""

    reverse = staticmethod(reverse_by_gather)

    def forward(self, x, lengths):
        forward_outputs, forward_final = self.forward_layer(x, lengths)
        backward_outputs, backward_final = self.backward_layer(self.reverse(x, lengths), lengths)
        backward_outputs = self.reverse(backward_outputs, lengths)
        return torch.cat([forward_outputs, backward_outputs], dim=-1), \
            forward_final + backward_final


class LoopReverseBidirectional(Bidirectional):
    reverse = staticmethod(reverse_by_loop)


class StackReshapeBidirectional(GivenBidirectional):
    """Stacks the two directions on a new axis and reshapes; final built with tuple(...)."""

    def forward(self, x, lengths):
        out_f, fin_f = self.forward_layer(x, lengths)
        out_b, fin_b = self.backward_layer(reverse_by_index(x, lengths), lengths)
        out_b = reverse_by_index(out_b, lengths)
        outputs = torch.stack([out_f, out_b], dim=2).reshape(*x.shape[:2], -1)
        return outputs, tuple([*fin_f, *fin_b])


class NaNPaddingBidirectional(Bidirectional):
    """Right, with NaN at the padding steps, which the lesson says may hold anything."""

    def forward(self, x, lengths):
        outputs, final = super().forward(x, lengths)
        mask = (torch.arange(x.shape[1])[None, :] < lengths[:, None])[:, :, None]
        return outputs.masked_fill(~mask, float("nan")), final


class BackwardAcrossPaddingBidirectional(GivenBidirectional):
    """Reverses with flip(1), across the padding, both ways."""

    def forward(self, x, lengths):
        out_f, fin_f = self.forward_layer(x, lengths)
        out_b, fin_b = self.backward_layer(x.flip(1), lengths)
        return torch.cat([out_f, out_b.flip(1)], dim=-1), fin_f + fin_b


class SwappedHalvesBidirectional(GivenBidirectional):
    def forward(self, x, lengths):
        out_f, fin_f = self.forward_layer(x, lengths)
        out_b, fin_b = self.backward_layer(reverse_by_gather(x, lengths), lengths)
        return torch.cat([reverse_by_gather(out_b, lengths), out_f], dim=-1), fin_f + fin_b


class NotReversedBackBidirectional(GivenBidirectional):
    def forward(self, x, lengths):
        out_f, fin_f = self.forward_layer(x, lengths)
        out_b, fin_b = self.backward_layer(reverse_by_gather(x, lengths), lengths)
        return torch.cat([out_f, out_b], dim=-1), fin_f + fin_b


class BackwardFinalFirstBidirectional(Bidirectional):
    def forward(self, x, lengths):
        outputs, final = super().forward(x, lengths)
        half = len(final) // 2
        return outputs, final[half:] + final[:half]


class ForwardFinalOnlyBidirectional(Bidirectional):
    def forward(self, x, lengths):
        outputs, final = super().forward(x, lengths)
        return outputs, final[: len(final) // 2]


class NestedFinalBidirectional(Bidirectional):
    def forward(self, x, lengths):
        outputs, final = super().forward(x, lengths)
        half = len(final) // 2
        return outputs, (final[:half], final[half:])


class PaddedStepFinalBidirectional(Bidirectional):
    """Takes the forward h from the outputs at the last padded step."""

    def forward(self, x, lengths):
        outputs, final = super().forward(x, lengths)
        hidden = outputs.shape[-1] // 2
        return outputs, (outputs[:, -1, :hidden], *final[1:])


class DetachedBackwardBidirectional(Bidirectional):
    reverse = staticmethod(lambda x, lengths: reverse_by_gather(x.detach(), lengths))


class BuiltinBidirectional(GivenBidirectional):
    """Uses nn.LSTM(bidirectional=True) instead of make_layer's layers."""

    def __init__(self, make_layer, input_size: int, hidden_size: int) -> None:
        super().__init__(make_layer, input_size, hidden_size)
        self.lstm = nn.LSTM(input_size, hidden_size, batch_first=True, bidirectional=True)

    def forward(self, x, lengths):
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True,
                                                   enforce_sorted=False)
        out, (h, c) = self.lstm(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        return out, (h[0], c[0], h[1], c[1])


class UnsolvedBidirectional(GivenBidirectional):
    def forward(self, x, lengths):
        raise NotImplementedError()


# ---------------------------------------------------------------------------------------------
# Stacked: __init__ is given, students write forward
# ---------------------------------------------------------------------------------------------


class GivenStacked(nn.Module):
    """The notebook's given __init__."""

    def __init__(self, make_layer, input_size: int, hidden_size: int, num_layers: int,
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.layers = nn.ModuleList()
        size = input_size
        for _ in range(num_layers):
            layer = make_layer(size, hidden_size)
            self.layers.append(layer)
            size = layer.output_size
        self.output_size = size
        self.dropout = nn.Dropout(dropout)


class Stacked(GivenStacked):
    """The lesson's solution: dropout before every layer but the first."""

    def forward(self, x, lengths):
        final = ()
        for index, layer in enumerate(self.layers):
            if index > 0:
                x = self.dropout(x)
            x, layer_final = layer(x, lengths)
            final = final + tuple(layer_final)
        return x, final


class FunctionalDropoutStacked(GivenStacked):
    """F.dropout with training=self.training after every layer but the last; final in a list."""

    def forward(self, x, lengths):
        finals = []
        last = len(self.layers) - 1
        for index, layer in enumerate(self.layers):
            x, layer_final = layer(x, lengths)
            finals.extend(layer_final)
            if index < last:
                x = F.dropout(x, self.dropout.p, training=self.training)
        return x, tuple(finals)


class DropoutAfterLastStacked(GivenStacked):
    def forward(self, x, lengths):
        final = ()
        for layer in self.layers:
            x, layer_final = layer(x, lengths)
            x = self.dropout(x)
            final += tuple(layer_final)
        return x, final


class EvalDropoutStacked(GivenStacked):
    """F.dropout(x, p) keeps training=True: dropout in eval mode too."""

    def forward(self, x, lengths):
        final = ()
        for index, layer in enumerate(self.layers):
            if index > 0:
                x = F.dropout(x, self.dropout.p, training=True)
            x, layer_final = layer(x, lengths)
            final += tuple(layer_final)
        return x, final


class InputDropoutStacked(GivenStacked):
    def forward(self, x, lengths):
        final = ()
        for layer in self.layers:
            x, layer_final = layer(self.dropout(x), lengths)
            final += tuple(layer_final)
        return x, final


class NoDropoutStacked(GivenStacked):
    def forward(self, x, lengths):
        final = ()
        for layer in self.layers:
            x, layer_final = layer(x, lengths)
            final += tuple(layer_final)
        return x, final


class HalfDropoutStacked(GivenStacked):
    """Its own dropout of 0.5, whatever dropout the stack was made with."""

    def forward(self, x, lengths):
        final = ()
        for index, layer in enumerate(self.layers):
            if index > 0:
                x = F.dropout(x, 0.5, training=self.training)
            x, layer_final = layer(x, lengths)
            final += tuple(layer_final)
        return x, final


class ReversedFinalsStacked(GivenStacked):
    def forward(self, x, lengths):
        finals = []
        for index, layer in enumerate(self.layers):
            if index > 0:
                x = self.dropout(x)
            x, layer_final = layer(x, lengths)
            finals.append(tuple(layer_final))
        return x, tuple(part for layer_final in reversed(finals) for part in layer_final)


class LastFinalOnlyStacked(GivenStacked):
    def forward(self, x, lengths):
        for index, layer in enumerate(self.layers):
            if index > 0:
                x = self.dropout(x)
            x, final = layer(x, lengths)
        return x, final


class OriginalInputStacked(GivenStacked):
    """Feeds every layer the original x."""

    def forward(self, x, lengths):
        final = ()
        outputs = x
        for layer in self.layers:
            outputs, layer_final = layer(x, lengths)
            final += tuple(layer_final)
        return outputs, final


class FirstOutputsStacked(GivenStacked):
    """Returns the first layer's outputs."""

    def forward(self, x, lengths):
        final, first = (), None
        for index, layer in enumerate(self.layers):
            if index > 0:
                x = self.dropout(x)
            x, layer_final = layer(x, lengths)
            first = x if first is None else first
            final += tuple(layer_final)
        return first, final


class BuiltinStacked(GivenStacked):
    def __init__(self, make_layer, input_size, hidden_size, num_layers, dropout=0.0):
        super().__init__(make_layer, input_size, hidden_size, num_layers, dropout)
        self.lstm = nn.LSTM(input_size, hidden_size, num_layers=num_layers, batch_first=True,
                            dropout=dropout)

    def forward(self, x, lengths):
        return Stacked.forward(self, x, lengths)


class UnsolvedStacked(GivenStacked):
    def forward(self, x, lengths):
        raise NotImplementedError()


# ---------------------------------------------------------------------------------------------
# Pooling over time
# ---------------------------------------------------------------------------------------------


def real_mask(outputs, lengths):
    return torch.arange(outputs.shape[1], device=outputs.device)[None, :] < lengths[:, None]


def max_masked_fill(outputs, lengths):
    mask = real_mask(outputs, lengths)[:, :, None]
    return outputs.masked_fill(~mask, float("-inf")).max(dim=1).values


def max_by_where_amax(outputs, lengths):
    mask = real_mask(outputs, lengths)[:, :, None]
    return torch.where(mask, outputs, torch.finfo(outputs.dtype).min).amax(dim=1)


def max_by_loop(outputs, lengths):
    return torch.stack([row[:n].max(dim=0).values for row, n in zip(outputs, lengths.tolist(),
                                                                    strict=True)])


def max_with_padding(outputs, lengths):
    return outputs.max(dim=1).values


def max_times_mask(outputs, lengths):
    mask = real_mask(outputs, lengths)[:, :, None]
    return (outputs * mask).max(dim=1).values


def max_pair(outputs, lengths):
    """Returns what .max(dim=1) gives: the (values, indices) named tuple."""
    mask = real_mask(outputs, lengths)[:, :, None]
    return outputs.masked_fill(~mask, float("-inf")).max(dim=1)


def max_detached(outputs, lengths):
    return max_masked_fill(outputs.detach(), lengths)


def mean_masked_sum(outputs, lengths):
    mask = real_mask(outputs, lengths)[:, :, None]
    return (outputs * mask).sum(dim=1) / lengths[:, None]


def mean_by_loop(outputs, lengths):
    return torch.stack([row[:n].mean(dim=0) for row, n in zip(outputs, lengths.tolist(),
                                                              strict=True)])


def mean_float_mask(outputs, lengths):
    """A float32 mask and float32 lengths: promoted to float64 by PyTorch, so still exact."""
    mask = real_mask(outputs, lengths).float()[:, :, None]
    return (outputs * mask).sum(dim=1) / lengths.float()[:, None]


def mean_over_all_steps(outputs, lengths):
    mask = real_mask(outputs, lengths)[:, :, None]
    return (outputs * mask).sum(dim=1) / outputs.shape[1]


def mean_with_padding(outputs, lengths):
    return outputs.mean(dim=1)


def mean_sum_with_padding(outputs, lengths):
    return outputs.sum(dim=1) / lengths[:, None]


def mean_item_lengths(outputs, lengths):
    """Right values, but the sum goes through .numpy(): no gradient."""
    mask = real_mask(outputs, lengths)[:, :, None]
    total = torch.from_numpy((outputs * mask).sum(dim=1).detach().numpy())
    return total / lengths[:, None]


def max_unsolved(outputs, lengths):
    raise NotImplementedError()
