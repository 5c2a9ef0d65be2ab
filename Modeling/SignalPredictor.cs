using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NeuralTrade.Events.Modeling;

/// <summary>
/// The signal model of DESIGN.md §5 (the seeds' SignalPredictor): input (batch, window, features) →
/// BatchNorm over features → Linear to H/2 + GELU → bidirectional LSTM (H, layers, dropout, batch first) →
/// temporal attention (Linear 2H→H, tanh, Linear H→1, softmax over time, weighted sum) → classifier
/// (Linear 2H→H, LayerNorm, GELU, Dropout, Linear H→H/2, GELU, Dropout, Linear → 3). Field names are the
/// checkpoint keys: do not rename them.
/// </summary>
public sealed class SignalPredictor : nn.Module<Tensor, Tensor>
{
    readonly HeldScalarBatchNorm1d input_norm;
    readonly Linear input_projection;
    readonly LSTM lstm;
    readonly Linear attention_hidden;
    readonly Linear attention_score;
    readonly Linear classifier_in;
    readonly LayerNorm classifier_norm;
    readonly Dropout classifier_dropout1;
    readonly Linear classifier_mid;
    readonly Dropout classifier_dropout2;
    readonly Linear classifier_out;

    public SignalPredictor(int features, int hiddenSize = 128, int numLayers = 2, double dropout = 0.2) : base(nameof(SignalPredictor))
    {
        var h = hiddenSize;
        input_norm = new HeldScalarBatchNorm1d(features);
        input_projection = nn.Linear(features, h / 2);
        lstm = nn.LSTM(h / 2, h, numLayers: numLayers, batchFirst: true, bidirectional: true, dropout: numLayers > 1 ? dropout : 0);
        attention_hidden = nn.Linear(2 * h, h);
        attention_score = nn.Linear(h, 1);
        classifier_in = nn.Linear(2 * h, h);
        classifier_norm = nn.LayerNorm(h);
        classifier_dropout1 = nn.Dropout(dropout);
        classifier_mid = nn.Linear(h, h / 2);
        classifier_dropout2 = nn.Dropout(dropout);
        classifier_out = nn.Linear(h / 2, SignalClasses.Count);
        RegisterComponents();
        Initialise(h);
    }

    /// <summary>Xavier input weights, orthogonal recurrent weights, forget-gate bias 1, zero biases elsewhere.</summary>
    void Initialise(int hiddenSize)
    {
        using var _ = no_grad();
        foreach (var (name, parameter) in lstm.named_parameters())
        {
            if (name.StartsWith("weight_ih", StringComparison.Ordinal))
                nn.init.xavier_uniform_(parameter);
            else if (name.StartsWith("weight_hh", StringComparison.Ordinal))
                nn.init.orthogonal_(parameter);
            else if (name.StartsWith("bias", StringComparison.Ordinal))
            {
                parameter.zero_();
                // Gates are ordered (input, forget, cell, output); the two bias vectors add up, so set one of them.
                if (name.StartsWith("bias_ih", StringComparison.Ordinal))
                {
                    using var one = 1.0.ToScalar(); // held for the call (see HeldScalarBatchNorm1d)
                    using var forget = parameter[TensorIndex.Slice(hiddenSize, 2 * hiddenSize)];
                    forget.fill_(one);
                }
            }
        }

        foreach (var linear in new[] { input_projection, attention_hidden, attention_score, classifier_in, classifier_mid, classifier_out })
        {
            nn.init.xavier_uniform_(linear.weight!);
            linear.bias!.zero_();
        }
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        // BatchNorm1d normalises channels on dim 1: (B, T, F) → (B, F, T) and back.
        var x = input_norm.forward(input.transpose(1, 2)).transpose(1, 2);
        x = nn.functional.gelu(input_projection.forward(x));
        var (sequence, _, _) = lstm.forward(x);                                    // (B, T, 2H)
        var scores = attention_score.forward(tanh(attention_hidden.forward(sequence)));   // (B, T, 1)
        var weights = softmax(scores, dim: 1);
        var context = (weights * sequence).sum(1);                                 // (B, 2H)
        var z = nn.functional.gelu(classifier_norm.forward(classifier_in.forward(context)));
        z = classifier_dropout1.forward(z);
        z = classifier_dropout2.forward(nn.functional.gelu(classifier_mid.forward(z)));
        return classifier_out.forward(z).MoveToOuterDisposeScope();
    }
}
