import { useEffect, useRef, useState, type MouseEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { AdminDetection } from '../../../services/schemas/admin.ts';
import { deleteVertex, fitSize, hitVertex, moveVertex, toNorm, toPixel, type NormPt } from './geometry.ts';

export type Layer = 'masks' | 'roi';

/**
 * The frame in a canvas with the view's masks (never analysed, shaded red) and ROI polygons (only analysed,
 * outlined green). Clicking adds a point to the polygon being drawn on the chosen layer; "finish" (or a
 * click on its first point) closes it. Points can be dragged; a right-click deletes one. Detection boxes of a
 * trial run are drawn on top. Coordinates are kept normalised (0..1).
 */
export function MaskEditor({
  frameUrl,
  masks,
  roi,
  onChange,
  detections,
  onFrameInfo,
}: {
  frameUrl: string;
  masks: NormPt[][];
  roi: NormPt[][];
  onChange: (next: { masks: NormPt[][]; roi: NormPt[][] }) => void;
  detections: AdminDetection[] | null;
  onFrameInfo?: (info: { width: number; height: number } | null) => void;
}) {
  const { t } = useTranslation();
  const canvas = useRef<HTMLCanvasElement>(null);
  const [img, setImg] = useState<HTMLImageElement | null>(null);
  const [imgState, setImgState] = useState<'loading' | 'ok' | 'none'>('loading');
  const [layer, setLayer] = useState<Layer>('masks');
  const [draft, setDraft] = useState<NormPt[]>([]);
  const [drag, setDrag] = useState<{ layer: Layer; polygon: number; vertex: number } | null>(null);
  const size = fitSize(img?.naturalWidth ?? 0, img?.naturalHeight ?? 0, 960);

  useEffect(() => {
    setImgState('loading');
    const i = new Image();
    i.onload = () => {
      setImg(i);
      setImgState('ok');
      onFrameInfo?.({ width: i.naturalWidth, height: i.naturalHeight });
    };
    i.onerror = () => {
      setImg(null);
      setImgState('none');
      onFrameInfo?.(null);
    };
    i.src = frameUrl;
  }, [frameUrl]);

  useEffect(() => {
    const c = canvas.current;
    const ctx = c?.getContext('2d');
    if (!c || !ctx) return;
    const { width: W, height: H } = size;
    ctx.clearRect(0, 0, W, H);
    if (img) ctx.drawImage(img, 0, 0, W, H);
    else {
      ctx.fillStyle = '#1d2330';
      ctx.fillRect(0, 0, W, H);
    }
    const path = (poly: readonly NormPt[], close: boolean) => {
      ctx.beginPath();
      poly.forEach((p, i) => {
        const q = toPixel(p, W, H);
        if (i === 0) ctx.moveTo(q.x, q.y);
        else ctx.lineTo(q.x, q.y);
      });
      if (close) ctx.closePath();
    };
    const vertices = (poly: readonly NormPt[], colour: string) => {
      ctx.fillStyle = colour;
      for (const p of poly) {
        const q = toPixel(p, W, H);
        ctx.fillRect(q.x - 4, q.y - 4, 8, 8);
      }
    };
    for (const poly of masks) {
      path(poly, true);
      ctx.fillStyle = 'rgba(220, 38, 38, 0.35)';
      ctx.fill();
      ctx.strokeStyle = '#dc2626';
      ctx.lineWidth = 2;
      ctx.stroke();
      vertices(poly, '#fecaca');
    }
    for (const poly of roi) {
      path(poly, true);
      ctx.strokeStyle = '#22c55e';
      ctx.lineWidth = 2;
      ctx.setLineDash([6, 4]);
      ctx.stroke();
      ctx.setLineDash([]);
      vertices(poly, '#bbf7d0');
    }
    if (draft.length > 0) {
      path(draft, false);
      ctx.strokeStyle = '#facc15';
      ctx.lineWidth = 2;
      ctx.stroke();
      vertices(draft, '#facc15');
    }
    for (const d of detections ?? []) {
      ctx.strokeStyle = d.opens ? '#f97316' : '#fde047';
      ctx.lineWidth = 2;
      ctx.strokeRect(d.box.x * W, d.box.y * H, d.box.w * W, d.box.h * H);
      ctx.fillStyle = ctx.strokeStyle;
      ctx.font = '12px sans-serif';
      ctx.fillText(`${t(`alertType.${d.type}`)} ${Math.round(d.score * 100)}%`, d.box.x * W, d.box.y * H - 3);
    }
  }, [img, size.width, size.height, masks, roi, draft, detections, t]);

  const pos = (e: MouseEvent<HTMLCanvasElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    return {
      x: ((e.clientX - r.left) * size.width) / r.width,
      y: ((e.clientY - r.top) * size.height) / r.height,
    };
  };
  const layers = { masks, roi };
  const hit = (x: number, y: number) => {
    for (const l of ['masks', 'roi'] as const) {
      const h = hitVertex(layers[l], x, y, size.width, size.height);
      if (h) return { layer: l, ...h };
    }
    return null;
  };
  const finish = () => {
    if (draft.length < 3) return;
    onChange({ ...layers, [layer]: [...layers[layer], draft] });
    setDraft([]);
  };

  const onDown = (e: MouseEvent<HTMLCanvasElement>) => {
    if (e.button !== 0) return;
    const { x, y } = pos(e);
    // A click on the draft's first point closes it.
    if (draft.length >= 3 && hitVertex([draft], x, y, size.width, size.height)?.vertex === 0) {
      finish();
      return;
    }
    const h = draft.length === 0 ? hit(x, y) : null;
    if (h) {
      setDrag(h);
      return;
    }
    setDraft([...draft, toNorm(x, y, size.width, size.height)]);
  };
  const onMove = (e: MouseEvent<HTMLCanvasElement>) => {
    if (!drag) return;
    const { x, y } = pos(e);
    onChange({
      ...layers,
      [drag.layer]: moveVertex(
        layers[drag.layer],
        drag.polygon,
        drag.vertex,
        toNorm(x, y, size.width, size.height),
      ),
    });
  };
  const onContext = (e: MouseEvent<HTMLCanvasElement>) => {
    e.preventDefault();
    const { x, y } = pos(e);
    const d = hitVertex([draft], x, y, size.width, size.height);
    if (d) {
      setDraft(draft.filter((_, i) => i !== d.vertex));
      return;
    }
    const h = hit(x, y);
    if (h) onChange({ ...layers, [h.layer]: deleteVertex(layers[h.layer], h.polygon, h.vertex) });
  };

  return (
    <div className="mask-editor">
      <div className="admin-actions" role="toolbar" aria-label={t('adminCam.mask.toolbar')}>
        <label className="inline">
          <input
            type="radio"
            name="layer"
            checked={layer === 'masks'}
            onChange={() => setLayer('masks')}
            data-testid="layer-masks"
          />
          {t('adminCam.mask.drawMask')}
        </label>
        <label className="inline">
          <input
            type="radio"
            name="layer"
            checked={layer === 'roi'}
            onChange={() => setLayer('roi')}
            data-testid="layer-roi"
          />
          {t('adminCam.mask.drawRoi')}
        </label>
        <button
          type="button"
          className="btn small"
          onClick={finish}
          disabled={draft.length < 3}
          data-testid="finish-polygon"
        >
          {t('adminCam.mask.finish')}
        </button>
        <button
          type="button"
          className="btn small"
          onClick={() => setDraft(draft.slice(0, -1))}
          disabled={draft.length === 0}
        >
          {t('adminCam.mask.undoPoint')}
        </button>
        <button
          type="button"
          className="btn small"
          onClick={() => {
            setDraft([]);
            onChange({ ...layers, [layer]: [] });
          }}
          data-testid="clear-layer"
        >
          {layer === 'masks' ? t('adminCam.mask.clearMasks') : t('adminCam.mask.clearRoi')}
        </button>
      </div>
      <canvas
        ref={canvas}
        width={size.width}
        height={size.height}
        className="mask-canvas"
        data-testid="mask-canvas"
        data-frame={imgState}
        data-masks={masks.length}
        data-roi={roi.length}
        data-draft={draft.length}
        onMouseDown={onDown}
        onMouseMove={onMove}
        onMouseUp={() => setDrag(null)}
        onMouseLeave={() => setDrag(null)}
        onContextMenu={onContext}
      />
      <p className="muted small">
        {imgState === 'none' ? t('adminCam.mask.noFrame') : t('adminCam.mask.help')}
      </p>
    </div>
  );
}
