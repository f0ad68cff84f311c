// Shape functions of slipkit's fused ops.
#include "kernel_io.h"

namespace slipkit {

void sameAsFirstInput(TF_ShapeInferenceContext* ctx, TF_Status* status) {
  TF_ShapeHandle* x = TF_NewShapeHandle();
  TF_ShapeInferenceContextGetInput(ctx, 0, x, status);
  if (TF_GetCode(status) == TF_OK) TF_ShapeInferenceContextSetOutput(ctx, 0, x, status);
  TF_DeleteShapeHandle(x);
}

void secondInputShape(TF_ShapeInferenceContext* ctx, TF_Status* status) {
  TF_ShapeHandle* x = TF_NewShapeHandle();
  TF_ShapeInferenceContextGetInput(ctx, 1, x, status);
  if (TF_GetCode(status) == TF_OK) TF_ShapeInferenceContextSetOutput(ctx, 0, x, status);
  TF_DeleteShapeHandle(x);
}

// Shapes that depend on attrs: left to the kernel (eager callers read the outputs).
void unknownShapes(TF_ShapeInferenceContext* ctx, TF_Status* status) { TF_ShapeInferenceContextSetUnknownShape(ctx, status); }

void firstInputTwice(TF_ShapeInferenceContext* ctx, TF_Status* status) {
  TF_ShapeHandle* x = TF_NewShapeHandle();
  TF_ShapeInferenceContextGetInput(ctx, 0, x, status);
  if (TF_GetCode(status) == TF_OK) TF_ShapeInferenceContextSetOutput(ctx, 0, x, status);
  if (TF_GetCode(status) == TF_OK) TF_ShapeInferenceContextSetOutput(ctx, 1, x, status);
  TF_DeleteShapeHandle(x);
}

// x and x with its last axis replaced by 1.
void valueAndRowStat(TF_ShapeInferenceContext* ctx, TF_Status* status) {
  TF_ShapeHandle* x = TF_NewShapeHandle();
  TF_ShapeHandle* leading = TF_NewShapeHandle();
  TF_ShapeHandle* stat = TF_NewShapeHandle();
  TF_ShapeInferenceContextGetInput(ctx, 0, x, status);
  if (TF_GetCode(status) == TF_OK) TF_ShapeInferenceContextSetOutput(ctx, 0, x, status);
  if (TF_GetCode(status) == TF_OK && TF_ShapeInferenceContextRankKnown(ctx, x)) {
    TF_ShapeInferenceContextSubshape(ctx, x, 0, -1, leading, status);
    TF_ShapeHandle* one = TF_ShapeInferenceContextVectorFromSize(ctx, 1);
    if (TF_GetCode(status) == TF_OK) TF_ShapeInferenceContextConcatenateShapes(ctx, leading, one, stat, status);
    if (TF_GetCode(status) == TF_OK) TF_ShapeInferenceContextSetOutput(ctx, 1, stat, status);
    TF_DeleteShapeHandle(one);
  } else if (TF_GetCode(status) == TF_OK) {
    TF_ShapeInferenceContextSetUnknownShape(ctx, status);
  }
  TF_DeleteShapeHandle(x);
  TF_DeleteShapeHandle(leading);
  TF_DeleteShapeHandle(stat);
}

}  // namespace slipkit
