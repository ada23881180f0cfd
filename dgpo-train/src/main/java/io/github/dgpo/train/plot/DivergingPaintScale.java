package io.github.dgpo.train.plot;

import java.awt.Color;
import java.awt.Paint;
import java.io.Serializable;
import org.jfree.chart.renderer.PaintScale;

/**
 * Blue, white, red around a centre value, clamped at the bounds; non-finite values are grey.
 */
public final class DivergingPaintScale implements PaintScale, Serializable {

    private static final long serialVersionUID = 1L;
    private static final Color LOW = new Color(33, 102, 172);
    private static final Color MID = Color.WHITE;
    private static final Color HIGH = new Color(178, 24, 43);
    private static final Color MISSING = new Color(160, 160, 160);

    private final double lower;
    private final double upper;

    /**
     * Creates the scale; the centre is the middle of the bounds.
     *
     * @param lower value painted fully blue
     * @param upper value painted fully red
     */
    public DivergingPaintScale(double lower, double upper) {
        this.lower = lower;
        this.upper = upper;
    }

    @Override
    public double getLowerBound() {
        return lower;
    }

    @Override
    public double getUpperBound() {
        return upper;
    }

    @Override
    public Paint getPaint(double value) {
        if (!Double.isFinite(value)) {
            return MISSING;
        }
        double t = (Math.max(lower, Math.min(upper, value)) - lower) / (upper - lower);
        return t < 0.5 ? mix(LOW, MID, t * 2) : mix(MID, HIGH, t * 2 - 1);
    }

    private static Color mix(Color a, Color b, double t) {
        return new Color(
                (int) Math.round(a.getRed() + (b.getRed() - a.getRed()) * t),
                (int) Math.round(a.getGreen() + (b.getGreen() - a.getGreen()) * t),
                (int) Math.round(a.getBlue() + (b.getBlue() - a.getBlue()) * t));
    }
}
