namespace NeuralTrade.Events.Modeling;

/// <summary>Features of a series, row-major: row t holds the features at candle t; rows before <see cref="FirstValid"/> are NaN.</summary>
public sealed class FeatureMatrix(float[] values, int rows, int columns, int firstValid)
{
    public float[] Values { get; } = values;
    public int Rows { get; } = rows;
    public int Columns { get; } = columns;
    public int FirstValid { get; } = firstValid;

    public float this[int row, int column] => Values[row * Columns + column];

    public ReadOnlySpan<float> Row(int row) => Values.AsSpan(row * Columns, Columns);
}
