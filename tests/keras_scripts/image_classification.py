"""Follows TensorFlow's tutorial "Image classification" (tensorflow/docs
site/en/tutorials/images/classification.ipynb): the same Keras calls in the same order, only
the imports changed (``tf.keras.X`` is written ``keras.X``; the ``# keras:`` comments give
Keras's imports, which ``runner.py --keras`` puts back).

Changed because minicnn has no tf.data: the flower photos (a download, read by
``image_dataset_from_directory``) become 100 generated RGB images of five classes, 64x64
instead of 180x180 (for CI's time), float32 in 0..255 as that function gives them, held as arrays: ``fit(x, y, batch_size=32,
validation_data=(x_val, y_val))`` where the tutorial passes datasets of batches of 32.
``tf.nn.softmax`` becomes NumPy's, ``tensor.numpy()`` becomes ``np.asarray(tensor)``. Left out:
the plots, PIL, and the TensorFlow Lite conversion. Cut for CI: 1 epoch each time (the
tutorial: 10 and 15).
"""
import numpy as np
import minicnn as keras                    # keras: from tensorflow import keras
from minicnn import layers                 # keras: from tensorflow.keras import layers
from minicnn.models import Sequential      # keras: from tensorflow.keras.models import Sequential

batch_size = 32
img_height = 64
img_width = 64
class_names = ['daisy', 'dandelion', 'roses', 'sunflowers', 'tulips']

rng = np.random.default_rng(123)
labels = np.arange(100) % 5
tints = rng.uniform(0, 255, size=(5, 1, 1, 3))
images = np.clip(tints[labels] + rng.normal(0, 40, size=(100, img_height, img_width, 3)), 0, 255).astype("float32")
train_images, train_labels, val_images, val_labels = images[:80], labels[:80], images[80:], labels[80:]
print(train_images[:batch_size].shape, train_labels[:batch_size].shape)

normalization_layer = layers.Rescaling(1./255)
first_image = np.asarray(normalization_layer(train_images[:batch_size]))[0]
print(np.min(first_image) >= 0, np.max(first_image) <= 1)

num_classes = len(class_names)

model = Sequential([
    layers.Rescaling(1./255, input_shape=(img_height, img_width, 3)),
    layers.Conv2D(16, 3, padding='same', activation='relu'),
    layers.MaxPooling2D(),
    layers.Conv2D(32, 3, padding='same', activation='relu'),
    layers.MaxPooling2D(),
    layers.Conv2D(64, 3, padding='same', activation='relu'),
    layers.MaxPooling2D(),
    layers.Flatten(),
    layers.Dense(128, activation='relu'),
    layers.Dense(num_classes)
])

model.compile(optimizer='adam',
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=['accuracy'])

model.summary()

epochs = 1
history = model.fit(
    train_images, train_labels, batch_size=batch_size,
    validation_data=(val_images, val_labels),
    epochs=epochs
)

acc = history.history['accuracy']
val_acc = history.history['val_accuracy']
loss = history.history['loss']
val_loss = history.history['val_loss']
epochs_range = range(epochs)
print(len(acc), len(val_acc), len(loss), len(val_loss), len(epochs_range))

data_augmentation = keras.Sequential(
    [
        layers.RandomFlip("horizontal",
                          input_shape=(img_height,
                                       img_width,
                                       3)),
        layers.RandomRotation(0.1),
        layers.RandomZoom(0.1),
    ]
)

changed = []
for i in range(9):
    augmented_images = data_augmentation(train_images[:batch_size])
    changed.append(bool(np.abs(np.asarray(augmented_images) - train_images[:batch_size]).max() > 1))
    first = np.asarray(augmented_images[0]).astype("uint8")

model = Sequential([
    data_augmentation,
    layers.Rescaling(1./255),
    layers.Conv2D(16, 3, padding='same', activation='relu'),
    layers.MaxPooling2D(),
    layers.Conv2D(32, 3, padding='same', activation='relu'),
    layers.MaxPooling2D(),
    layers.Conv2D(64, 3, padding='same', activation='relu'),
    layers.MaxPooling2D(),
    layers.Dropout(0.2),
    layers.Flatten(),
    layers.Dense(128, activation='relu'),
    layers.Dense(num_classes, name="outputs")
])

model.compile(optimizer='adam',
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=['accuracy'])

model.summary()

history = model.fit(
    train_images, train_labels, batch_size=batch_size,
    validation_data=(val_images, val_labels),
    epochs=epochs
)

img_array = val_images[:1]
predictions = model.predict(img_array)
score = np.exp(predictions[0]) / np.exp(predictions[0]).sum()
print(
    "This image most likely belongs to {} with a {:.2f} percent confidence."
    .format("class " + str(np.argmax(score) in range(num_classes)), 100 * np.max(score))
)

record = {"history_keys": list(history.history), "params": history.params, "augmented": all(changed),
          "augmented_shape": list(first.shape), "predictions": list(predictions.shape),
          "augmentation_kept_in_inference": bool(np.allclose(model.predict(val_images, verbose=0),
                                                             model.predict(val_images, verbose=0)))}
