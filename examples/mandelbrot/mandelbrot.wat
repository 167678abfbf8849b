;; Mandelbrot rows: the example job of `edgeswarm compute run` (see examples/README.md).
;; ABI (docs/PROTOCOLS.md, "compute"): no imports; exports `memory` (with a maximum),
;; `alloc(len) -> ptr` and `run(ptr, len) -> ptr`, where the result at ptr is a u32 little-endian
;; length followed by that many bytes. A fresh instance runs each task, so the bump allocator
;; never frees.
;;
;; Input: the row number y, as a little-endian u64 (what `--range A..B` feeds), optionally followed
;; by a little-endian u32 iteration limit (default 1000); or as ASCII text "y" or "y,limit" (what
;; an `--inputs` file line holds). Text is recognised by its last byte being an ASCII digit: a
;; binary u64 below 2^56 ends in a zero byte.
;; Output: 1024 bytes, pixel x of row y of a 1024x1024 image of [-2.5, 1] x [-1.25, 1.25], each
;; min(iterations, 255).
(module
  (memory (export "memory") 1 16)
  (global $heap (mut i32) (i32.const 1024))
  (global $width i32 (i32.const 1024))

  (func $alloc (export "alloc") (param $len i32) (result i32)
    (local $p i32)
    (local $need i32)
    (local.set $p (global.get $heap))
    (global.set $heap
      (i32.add (local.get $p) (i32.and (i32.add (local.get $len) (i32.const 7)) (i32.const -8))))
    ;; pages needed beyond the current size; memory.grow returns -1 past the declared maximum
    (local.set $need
      (i32.sub (i32.shr_u (i32.add (global.get $heap) (i32.const 65535)) (i32.const 16)) (memory.size)))
    (if (i32.gt_s (local.get $need) (i32.const 0))
      (then (if (i32.eq (memory.grow (local.get $need)) (i32.const -1)) (then unreachable))))
    (local.get $p))

  ;; iterations of z -> z^2 + c from 0 until |z| > 2 or the limit
  (func $escape (param $cx f64) (param $cy f64) (param $limit i32) (result i32)
    (local $zx f64) (local $zy f64) (local $x2 f64) (local $y2 f64) (local $it i32)
    (block $done
      (loop $step
        (br_if $done (i32.ge_u (local.get $it) (local.get $limit)))
        (local.set $x2 (f64.mul (local.get $zx) (local.get $zx)))
        (local.set $y2 (f64.mul (local.get $zy) (local.get $zy)))
        (br_if $done (f64.gt (f64.add (local.get $x2) (local.get $y2)) (f64.const 4)))
        (local.set $zy
          (f64.add (f64.mul (f64.mul (f64.const 2) (local.get $zx)) (local.get $zy)) (local.get $cy)))
        (local.set $zx (f64.add (f64.sub (local.get $x2) (local.get $y2)) (local.get $cx)))
        (local.set $it (i32.add (local.get $it) (i32.const 1)))
        (br $step)))
    (local.get $it))

  (func (export "run") (param $ptr i32) (param $len i32) (result i32)
    (local $row i64) (local $limit i32) (local $i i32) (local $b i32) (local $field i32)
    (local $out i32) (local $x i32) (local $it i32) (local $cy f64)
    (local.set $limit (i32.const 1000))
    (if (i32.and
          (i32.gt_u (local.get $len) (i32.const 0))
          (i32.lt_u
            (i32.sub (i32.load8_u (i32.add (local.get $ptr) (i32.sub (local.get $len) (i32.const 1))))
                     (i32.const 48))
            (i32.const 10)))
      (then
        ;; text: digits, optionally ",limit"
        (local.set $limit (i32.const 0))
        (block $end
          (loop $char
            (br_if $end (i32.ge_u (local.get $i) (local.get $len)))
            (local.set $b (i32.load8_u (i32.add (local.get $ptr) (local.get $i))))
            (if (i32.eq (local.get $b) (i32.const 44))
              (then (local.set $field (i32.const 1)))
              (else
                (if (i32.lt_u (i32.sub (local.get $b) (i32.const 48)) (i32.const 10))
                  (then
                    (if (local.get $field)
                      (then (local.set $limit
                        (i32.add (i32.mul (local.get $limit) (i32.const 10)) (i32.sub (local.get $b) (i32.const 48)))))
                      (else (local.set $row
                        (i64.add (i64.mul (local.get $row) (i64.const 10))
                                 (i64.extend_i32_u (i32.sub (local.get $b) (i32.const 48)))))))))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $char)))
        (if (i32.eqz (local.get $field)) (then (local.set $limit (i32.const 1000)))))
      (else
        (if (i32.ge_u (local.get $len) (i32.const 8))
          (then (local.set $row (i64.load (local.get $ptr)))))
        (if (i32.ge_u (local.get $len) (i32.const 12))
          (then (local.set $limit (i32.load (i32.add (local.get $ptr) (i32.const 8))))))))
    (local.set $cy
      (f64.add (f64.const -1.25)
               (f64.div (f64.mul (f64.const 2.5) (f64.convert_i64_u (local.get $row))) (f64.const 1024))))
    (local.set $out (call $alloc (i32.add (global.get $width) (i32.const 4))))
    (i32.store (local.get $out) (global.get $width))
    (block $rowdone
      (loop $pixel
        (br_if $rowdone (i32.ge_u (local.get $x) (global.get $width)))
        (local.set $it
          (call $escape
            (f64.add (f64.const -2.5)
                     (f64.div (f64.mul (f64.const 3.5) (f64.convert_i32_u (local.get $x))) (f64.const 1024)))
            (local.get $cy)
            (local.get $limit)))
        (if (i32.gt_u (local.get $it) (i32.const 255)) (then (local.set $it (i32.const 255))))
        (i32.store8 (i32.add (i32.add (local.get $out) (i32.const 4)) (local.get $x)) (local.get $it))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (br $pixel)))
    (local.get $out))
)
