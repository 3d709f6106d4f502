/** The bundled sample: a synthetic, hand-like drawing (no downloaded images), 400 x 300. */
export function drawSampleHand(canvas: HTMLCanvasElement | OffscreenCanvas): void {
  canvas.width = 400;
  canvas.height = 300;
  const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
  const bg = ctx.createLinearGradient(0, 0, 400, 300);
  bg.addColorStop(0, '#2b3a55');
  bg.addColorStop(1, '#6d7f99');
  ctx.fillStyle = bg;
  ctx.fillRect(0, 0, 400, 300);
  const skin = ctx.createRadialGradient(200, 190, 10, 200, 190, 140);
  skin.addColorStop(0, '#f2c6a0');
  skin.addColorStop(1, '#c98e68');
  ctx.fillStyle = skin;
  ctx.strokeStyle = '#8a5a3c';
  ctx.lineWidth = 2;
  const capsule = (x: number, y: number, len: number, width: number, angle: number) => {
    ctx.save();
    ctx.translate(x, y);
    ctx.rotate(angle);
    ctx.beginPath();
    ctx.roundRect(-width / 2, -len, width, len + width / 2, width / 2);
    ctx.fill();
    ctx.stroke();
    ctx.restore();
  };
  // Forearm and palm.
  ctx.beginPath();
  ctx.roundRect(170, 230, 64, 80, 18);
  ctx.fill();
  ctx.beginPath();
  ctx.ellipse(202, 195, 52, 58, 0, 0, 2 * Math.PI);
  ctx.fill();
  ctx.stroke();
  // Fingers (index..little) and the thumb.
  capsule(168, 150, 70, 22, -0.22);
  capsule(195, 142, 84, 23, -0.05);
  capsule(222, 146, 78, 22, 0.1);
  capsule(245, 158, 62, 20, 0.28);
  capsule(160, 205, 62, 24, -1.05);
  // Knuckle creases.
  ctx.strokeStyle = 'rgba(120, 70, 45, 0.6)';
  for (const [x, y] of [[170, 125], [194, 112], [220, 118], [242, 135]]) {
    ctx.beginPath();
    ctx.moveTo(x - 7, y);
    ctx.lineTo(x + 7, y);
    ctx.stroke();
  }
}
